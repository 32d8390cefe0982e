import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, expectValidationError } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("alerts errors", () => {
  it("answers NOT_FOUND when acknowledging an unknown alert", async () => {
    const res = await t.request("POST", "/v1/alerts/alr_0000000000000000000000/ack");
    expect(expectProblem(res, 404, "NOT_FOUND").detail).toBe("No alert has this id.");
  });

  it("refuses an unknown type, a non-boolean acknowledged, a bad limit and a cursor not of ours", async () => {
    const cases: Array<[string, string]> = [
      ["?type=spike_of_doom", "/type"],
      ["?acknowledged=maybe", "/acknowledged"],
      ["?limit=0", "/limit"],
      ["?limit=101", "/limit"],
      ["?cursor=%21%21", "/cursor"],
      ["?unknown=1", "/unknown"],
    ];
    for (const [query, pointer] of cases) {
      const res = await t.request("GET", `/v1/alerts${query}`);
      const pointers = expectValidationError(res);
      expect(pointers, query).toEqual([pointer]);
    }
  });
});
