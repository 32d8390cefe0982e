import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, expectValidationError } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const BAD_ENTRIES = [
  "10.0.0.0/8",
  "10.0.0.1/8",
  "300.1.1.1",
  "10.0.0.0/33",
  "2001:db8::/129",
  "10.0.0.0/08",
  "fe80::1%eth0",
  "example.com",
  "::ffff:10.0.0.0/104",
];
const BAD_POINTERS = [1, 2, 3, 4, 5, 6, 7].map((i) => `/ipAllowlist/${i}`);

describe("IP allowlist validation on keys", () => {
  it("names every bad entry of a new key by /ipAllowlist/<i>, suggesting the network of a range with host bits", async () => {
    const res = await t.request("POST", "/v1/keys", { ipAllowlist: BAD_ENTRIES });
    expect(expectValidationError(res)).toEqual(BAD_POINTERS);
    const hostBits = (res.json().errors as Array<{ pointer: string; detail: string }>).find(
      (e) => e.pointer === "/ipAllowlist/1",
    );
    expect(hostBits?.detail).toContain("10.0.0.0/8");
  });

  it("names every bad entry of an update and leaves the key's list unchanged", async () => {
    const key = await createKey(t, { ipAllowlist: ["192.0.2.0/24"] });
    expect(
      expectValidationError(await t.request("PATCH", `/v1/keys/${key.id}`, { ipAllowlist: BAD_ENTRIES })),
    ).toEqual(BAD_POINTERS);
    expect((await t.request("GET", `/v1/keys/${key.id}`)).json().ipAllowlist).toEqual(["192.0.2.0/24"]);
  });

  it("refuses more than 100 entries, empty or over-long entries and entries that are not strings", async () => {
    const many = Array.from({ length: 101 }, (_, i) => `10.${i}.0.0/16`);
    expect(expectValidationError(await t.request("POST", "/v1/keys", { ipAllowlist: many }))).toEqual([
      "/ipAllowlist",
    ]);
    expect(
      expectValidationError(
        await t.request("POST", "/v1/keys", { ipAllowlist: ["", "1".repeat(69), 10, null] }),
      ),
    ).toEqual(["/ipAllowlist/0", "/ipAllowlist/1", "/ipAllowlist/2", "/ipAllowlist/3"]);
    await createKey(t, { ipAllowlist: many.slice(0, 100) });
  });
});
