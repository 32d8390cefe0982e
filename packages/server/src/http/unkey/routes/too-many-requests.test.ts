import { TooManyRequestsErrorResponse } from "@unkey/api/models/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUnkeyTarget, type UnkeyTarget } from "../../../../test/support/unkey-target.js";

/** Failed verifications one address may make per window before it is throttled (429). */
const LIMIT = 3;

let target: UnkeyTarget;
beforeAll(async () => {
  target = await startUnkeyTarget({ env: { KEYWARD_BRUTE_FORCE_LIMIT: String(LIMIT) } });
});
afterAll(async () => {
  await target.close();
});

describe("429 through @unkey/api", () => {
  it("raises the client's typed TooManyRequestsErrorResponse, with Unkey's envelope and Retry-After", async () => {
    // Unknown keys from one address: each answers 200 NOT_FOUND until the brute-force guard throttles the address.
    for (let i = 0; i < LIMIT; i++) {
      const { data } = await target.unkey.keys.verifyKey({ key: `kw_unknown${i}` });
      expect(data).toMatchObject({ valid: false, code: "NOT_FOUND" });
    }
    const error = await target.unkey.keys.verifyKey({ key: "kw_unknown_again" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyRequestsErrorResponse);
    const typed = error as TooManyRequestsErrorResponse;
    expect(typed.statusCode).toBe(429);
    expect(typed.contentType).toMatch(/^application\/problem\+json/);
    expect(typed.error).toMatchObject({
      status: 429,
      type: "https://keyward.dev/errors/too_many_failed_verifications",
    });
    expect(Number(typed.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
