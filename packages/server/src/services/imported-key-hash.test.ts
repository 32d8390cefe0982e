import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseSha256Hash } from "./imported-key-hash.js";

const digest = createHash("sha256").update("acme_key").digest();

describe("parseSha256Hash()", () => {
  it("reads a SHA-256 as hex (either case), base64 and base64url, padded or not", () => {
    for (const text of [
      digest.toString("hex"),
      digest.toString("hex").toUpperCase(),
      digest.toString("base64"),
      digest.toString("base64").replace(/=$/, ""),
      digest.toString("base64url"),
      `${digest.toString("base64url")}=`,
    ]) {
      expect(parseSha256Hash(text)?.equals(digest)).toBe(true);
    }
  });

  it("refuses other lengths, mixed alphabets, non-canonical base64 and anything else", () => {
    const base64 = digest.toString("base64");
    const last = base64.at(-2) as string;
    // The same bytes with a non-zero unused bit in the last character.
    const sloppy = `${base64.slice(0, -2)}${String.fromCharCode(last.charCodeAt(0) + 1)}=`;
    for (const text of [
      "",
      digest.toString("hex").slice(1),
      `${digest.toString("hex")}0`,
      createHash("sha1").update("x").digest("base64"),
      `${base64.slice(0, 10)}-${base64.slice(11, 20)}+${base64.slice(21)}`,
      sloppy,
      "not-a-sha256",
    ]) {
      expect(parseSha256Hash(text)).toBeNull();
    }
  });
});
