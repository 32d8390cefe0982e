import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, expectProblem, expectValidationError } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
let keyId: string;
beforeAll(async () => {
  t = await createTestApp();
  keyId = (await createKey(t)).id;
});
afterAll(async () => {
  await t.close();
});

describe("usage route errors", () => {
  it("refuses a range whose from is not before its to", async () => {
    for (const url of [
      `/v1/keys/${keyId}/usage?from=2026-11-28T10:00:00Z&to=2026-11-28T09:00:00Z`,
      "/v1/usage?from=2026-11-28T10:00:00Z&to=2026-11-28T10:00:00Z",
    ]) {
      expect(expectValidationError(await t.request("GET", url)), url).toEqual(["/from"]);
    }
  });

  it("refuses a range of more than 1,500 buckets, and accepts 1,500", async () => {
    const tooMany = await t.request(
      "GET",
      `/v1/keys/${keyId}/usage?granularity=minute&from=2026-11-28T00:00:00Z&to=2026-11-29T01:01:00Z`,
    );
    expect(expectValidationError(tooMany)).toEqual(["/from"]);
    expect(tooMany.json().detail).toMatch(/1500 minute buckets.*1501/);
    const days = await t.request(
      "GET",
      "/v1/usage?granularity=day&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
    );
    expectValidationError(days);
    const exactly = await t.request(
      "GET",
      `/v1/keys/${keyId}/usage?granularity=minute&from=2026-11-28T00:00:00Z&to=2026-11-29T01:00:00Z`,
    );
    expect(exactly.statusCode, exactly.body).toBe(200);
    expect(exactly.json().buckets).toHaveLength(1_500);
  });

  it("refuses unknown granularities, groupings, limits, malformed instants and unknown parameters", async () => {
    for (const [url, pointer] of [
      [`/v1/keys/${keyId}/usage?granularity=week`, "/granularity"],
      [`/v1/keys/${keyId}/usage?from=yesterday`, "/from"],
      [`/v1/keys/${keyId}/usage?to=2026-11-28`, "/to"],
      [`/v1/keys/${keyId}/usage?projectId=x`, "/projectId"],
      ["/v1/usage?groupBy=owner", "/groupBy"],
      ["/v1/usage?limit=0", "/limit"],
      ["/v1/usage?limit=101", "/limit"],
      ["/v1/usage?limit=ten", "/limit"],
      ["/v1/usage?projectId=", "/projectId"],
    ] as const) {
      const pointers = expectValidationError(await t.request("GET", url));
      expect(pointers, url).toContain(pointer);
    }
  });

  it("answers 404 for an unknown key or project", async () => {
    expectProblem(await t.request("GET", "/v1/keys/key_0000000000000000000000/usage"), 404, "NOT_FOUND");
    expectProblem(await t.request("GET", "/v1/usage?projectId=proj_missing"), 404, "NOT_FOUND");
  });
});
