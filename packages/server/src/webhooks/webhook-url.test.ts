import { describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { checkWebhookUrl } from "./webhook-url.js";

const strict = { allowInsecureHttp: false };
const TOKEN = "tok_s3cr3t";

async function expectUrlRejected(url: string, detail: string, options = strict): Promise<void> {
  const error = await expectKeywardError(() => checkWebhookUrl(url, options), "VALIDATION_ERROR");
  expect(error.errors).toEqual([{ pointer: "/url", detail }]);
  expect(error.message).toBe(`url ${detail}.`);
  expect(error.message).not.toContain(TOKEN);
}

describe("checkWebhookUrl()", () => {
  it("returns an https URL in its normalized form", () => {
    expect(checkWebhookUrl("HTTPS://Example.COM:443/hooks/../in?x=ä b", strict)).toBe(
      "https://example.com/in?x=%C3%A4%20b",
    );
  });

  it("keeps the query, where receivers often put their token", () => {
    expect(checkWebhookUrl(`https://example.com/in?token=${TOKEN}`, strict)).toBe(
      `https://example.com/in?token=${TOKEN}`,
    );
  });

  for (const url of [
    "http://localhost:8080/in",
    "http://LOCALHOST/in",
    "http://hooks.localhost/in",
    "http://127.0.0.1:3000/in",
    "http://127.255.10.1/in",
    "http://127.1/in",
    "http://[::1]:9000/in",
  ]) {
    it(`allows plain http to the loopback host in ${url}`, () => {
      expect(checkWebhookUrl(url, strict)).toBe(new URL(url).href);
    });
  }

  for (const url of [
    "http://example.com/in",
    "http://128.0.0.1/in",
    "http://10.0.0.1/in",
    "http://localhost.example.com/in",
    "http://127.0.0.1.nip.io/in",
    "http://[::2]/in",
  ]) {
    it(`requires https for the non-loopback host in ${url}`, async () => {
      await expectUrlRejected(url, "must use https, since plain http is only accepted for loopback hosts");
    });
  }

  it("allows plain http to any host when allowInsecureHttp is true", () => {
    expect(checkWebhookUrl("http://receiver.internal/in", { allowInsecureHttp: true })).toBe(
      "http://receiver.internal/in",
    );
  });

  for (const url of [
    "",
    "/relative/path",
    "example.com/in",
    "ftp://example.com/in",
    "javascript:alert(1)",
    "https://",
  ]) {
    it(`refuses ${JSON.stringify(url)} as not an absolute http(s) URL`, async () => {
      await expectUrlRejected(url, "must be an absolute http or https URL");
    });
  }

  for (const url of [
    `https://user:${TOKEN}@example.com/in`,
    `https://${TOKEN}@example.com/in`,
    `https://:${TOKEN}@example.com/in`,
  ]) {
    it(`refuses credentials in ${url.replace(TOKEN, "…")} without echoing them`, async () => {
      await expectUrlRejected(
        url,
        "must not contain a username or password, because credentials do not belong in URLs",
      );
    });
  }

  for (const url of [`https://example.com/in?token=${TOKEN}#section`, "https://example.com/in#"]) {
    it(`refuses the fragment in ${url.replace(TOKEN, "…")}, even an empty one`, async () => {
      await expectUrlRejected(url, "must not have a fragment, because it is never sent to the receiver");
    });
  }

  it("accepts a percent-encoded # in the path, which is not a fragment", () => {
    expect(checkWebhookUrl("https://example.com/a%23b", strict)).toBe("https://example.com/a%23b");
  });

  it("accepts a URL of exactly 2048 characters", () => {
    const base = "https://example.com/";
    const url = base + "a".repeat(2048 - base.length);
    expect(checkWebhookUrl(url, strict)).toBe(url);
  });

  it("refuses a URL longer than 2048 characters", async () => {
    const base = `https://example.com/?token=${TOKEN}&pad=`;
    await expectUrlRejected(base + "a".repeat(2049 - base.length), "must be at most 2048 characters");
  });

  it("refuses a URL that only grows past 2048 characters when normalized", async () => {
    const base = "https://example.com/";
    // Each space becomes %20, so 1000 of them turn into 3000 characters.
    await expectUrlRejected(`${base}${" ".repeat(1000)}x`, "must be at most 2048 characters");
  });
});
