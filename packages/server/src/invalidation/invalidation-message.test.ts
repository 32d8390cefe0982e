import { describe, expect, it } from "vitest";
import { decodeInvalidation, encodeInvalidation, MAX_MESSAGE_BYTES } from "./invalidation-message.js";

describe("encodeInvalidation() and decodeInvalidation()", () => {
  it("round-trip the kind, the ids and the sending node", () => {
    const [message] = encodeInvalidation("node1", { kind: "token", ids: ["tok_1", "tok_2"] });
    expect(decodeInvalidation(message ?? "")).toEqual({
      type: "invalidation",
      origin: "node1",
      invalidation: { kind: "token", ids: ["tok_1", "tok_2"] },
    });
  });

  it("split many ids into messages under PostgreSQL's NOTIFY limit, in order, none lost", () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => `key_${String(i).padStart(26, "0")}`);
    const messages = encodeInvalidation("node1", { kind: "key", ids });
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const decoded = messages.map(decodeInvalidation);
    expect(decoded.flatMap((d) => (d.type === "invalidation" ? d.invalidation.ids : []))).toEqual(ids);
  });

  it("count bytes, not characters: long non-ASCII override identifiers stay under the limit", () => {
    const ids = Array.from({ length: 40 }, (_, i) => `ns\u0000${"é".repeat(256)}${i}`);
    const messages = encodeInvalidation("node1", { kind: "ratelimit_override", ids });
    for (const message of messages) expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(
      messages.map(decodeInvalidation).flatMap((d) => (d.type === "invalidation" ? d.invalidation.ids : [])),
    ).toEqual(ids);
  });

  it("send nothing for no ids", () => {
    expect(encodeInvalidation("node1", { kind: "key", ids: [] })).toEqual([]);
  });

  it.each([
    ["not JSON", "{"],
    ["another version", JSON.stringify({ v: 2, origin: "n", kind: "key", ids: [] })],
    ["an unknown kind", JSON.stringify({ v: 1, origin: "n", kind: "user", ids: [] })],
    ["ids that are not strings", JSON.stringify({ v: 1, origin: "n", kind: "key", ids: [1] })],
    ["no origin", JSON.stringify({ v: 1, kind: "key", ids: [] })],
    ["null", "null"],
  ])("treat %s as unreadable, which the node answers by dropping its caches", (_what, payload) => {
    expect(decodeInvalidation(payload)).toEqual({ type: "unreadable" });
  });
});
