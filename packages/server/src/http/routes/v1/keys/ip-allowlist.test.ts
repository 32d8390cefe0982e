import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createProject, verifyKey } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** The verification code of `key` for each address (undefined: no `ip` in the request). */
async function codesFor(key: string, ips: Array<string | undefined>): Promise<unknown[]> {
  const codes: unknown[] = [];
  for (const ip of ips) codes.push((await verifyKey(t, key, ip === undefined ? {} : { ip })).code);
  return codes;
}

describe("a key's IP allowlist", () => {
  it("admits IPv4 addresses and ranges, and IPv4-mapped IPv6 forms of them", async () => {
    const key = await createKey(t, { ipAllowlist: ["10.0.0.0/8", "192.0.2.7"] });
    expect(key.ipAllowlist).toEqual(["10.0.0.0/8", "192.0.2.7"]);
    expect(
      await codesFor(key.key, [
        "10.0.0.1",
        "10.255.255.255",
        "192.0.2.7",
        "::ffff:10.0.0.1",
        "::ffff:c000:207",
      ]),
    ).toEqual(["VALID", "VALID", "VALID", "VALID", "VALID"]);
    expect(await codesFor(key.key, ["11.0.0.1", "192.0.2.8", "::ffff:11.0.0.1", "2001:db8::1"])).toEqual([
      "IP_NOT_ALLOWED",
      "IP_NOT_ALLOWED",
      "IP_NOT_ALLOWED",
      "IP_NOT_ALLOWED",
    ]);
  });

  it("admits IPv6 addresses and ranges in any spelling", async () => {
    const key = await createKey(t, { ipAllowlist: ["2001:DB8::/32", "2001:0db8:ffff::0001"] });
    expect(key.ipAllowlist).toEqual(["2001:db8::/32", "2001:db8:ffff::1"]);
    const other = await createKey(t, { ipAllowlist: ["fd00::1"] });
    expect(await codesFor(key.key, ["2001:db8::1", "2001:db8:ffff:ffff::", "2001:DB8:0:0:0:0:0:1"])).toEqual([
      "VALID",
      "VALID",
      "VALID",
    ]);
    expect(await codesFor(key.key, ["2001:db9::1", "::1", "10.0.0.1"])).toEqual([
      "IP_NOT_ALLOWED",
      "IP_NOT_ALLOWED",
      "IP_NOT_ALLOWED",
    ]);
    expect(await codesFor(other.key, ["fd00::1", "fd00:0:0::1", "fd00::2"])).toEqual([
      "VALID",
      "VALID",
      "IP_NOT_ALLOWED",
    ]);
  });

  it("answers IP_NOT_ALLOWED when the request names no ip, with the key's details", async () => {
    const key = await createKey(t, { ipAllowlist: ["0.0.0.0/0", "::/0"] });
    const answer = await verifyKey(t, key.key);
    expect(answer).toMatchObject({ valid: false, code: "IP_NOT_ALLOWED", keyId: key.id });
    expect(await codesFor(key.key, ["203.0.113.1", "2001:db8::1"])).toEqual(["VALID", "VALID"]);
  });

  it("denies every address with an empty list, and none once PATCHed to null without a project list", async () => {
    const key = await createKey(t, { ipAllowlist: [] });
    expect(await codesFor(key.key, ["10.0.0.1", undefined])).toEqual(["IP_NOT_ALLOWED", "IP_NOT_ALLOWED"]);
    const cleared = await t.request("PATCH", `/v1/keys/${key.id}`, { ipAllowlist: null });
    expect(cleared.json().ipAllowlist).toBeNull();
    expect(await codesFor(key.key, ["10.0.0.1", undefined])).toEqual(["VALID", "VALID"]);
    const narrowed = await t.request("PATCH", `/v1/keys/${key.id}`, { ipAllowlist: ["10.0.0.1"] });
    expect(narrowed.json().ipAllowlist).toEqual(["10.0.0.1"]);
    expect(await codesFor(key.key, ["10.0.0.1", "10.0.0.2"])).toEqual(["VALID", "IP_NOT_ALLOWED"]);
  });
});

describe("a project's default IP allowlist", () => {
  it("applies to keys without their own list; a key's list replaces it, and null falls back to it", async () => {
    const projectId = await createProject(t, { name: "office-only" });
    const inherits = await createKey(t, { projectId });
    const own = await createKey(t, { projectId, ipAllowlist: ["192.0.2.0/24"] });
    const set = await t.request("PATCH", `/v1/projects/${projectId}`, { ipAllowlist: ["10.0.0.0/8"] });
    expect(set.statusCode, set.body).toBe(200);

    expect(await codesFor(inherits.key, ["10.1.2.3", "::ffff:10.0.0.1", "192.0.2.1", undefined])).toEqual([
      "VALID",
      "VALID",
      "IP_NOT_ALLOWED",
      "IP_NOT_ALLOWED",
    ]);
    // The key's own list replaces the project's: it does not add to it.
    expect(await codesFor(own.key, ["192.0.2.1", "10.1.2.3"])).toEqual(["VALID", "IP_NOT_ALLOWED"]);

    await t.request("PATCH", `/v1/keys/${own.id}`, { ipAllowlist: null });
    expect(await codesFor(own.key, ["192.0.2.1", "10.1.2.3"])).toEqual(["IP_NOT_ALLOWED", "VALID"]);

    await t.request("PATCH", `/v1/projects/${projectId}`, { ipAllowlist: null });
    expect(await codesFor(inherits.key, ["192.0.2.1", undefined])).toEqual(["VALID", "VALID"]);
  });
});
