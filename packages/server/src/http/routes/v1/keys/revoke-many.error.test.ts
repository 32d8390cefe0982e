import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, expectProblem, expectValidationError } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("POST /v1/keys/revoke errors", () => {
  it("needs an ownerId or a projectId, and revokes nothing without one", async () => {
    const key = await createKey(t, { ownerId: "owner-kept" });
    for (const body of [{}, { reason: "everything" }]) {
      const res = await t.request("POST", "/v1/keys/revoke", body);
      expect(expectValidationError(res)).toEqual(["/"]);
      expect(res.json().detail).toBe("The request must name an ownerId or a projectId.");
    }
    const empty = await t.app.inject({
      method: "POST",
      url: "/v1/keys/revoke",
      headers: { authorization: `Bearer ${t.rootToken}` },
    });
    expect(expectValidationError(empty)).toEqual(["/"]);
    expect((await t.request("GET", `/v1/keys/${key.id}`)).json()).toMatchObject({ revokedAt: null });
  });

  it("names empty, over-long, mistyped and unknown fields", async () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ ownerId: "" }, ["/ownerId"]],
      [{ projectId: "" }, ["/projectId"]],
      [{ ownerId: "o".repeat(256) }, ["/ownerId"]],
      [{ projectId: "p".repeat(65) }, ["/projectId"]],
      [{ ownerId: "o", reason: "r".repeat(501) }, ["/reason"]],
      [{ ownerId: 7, projectId: ["p"], reason: false }, ["/projectId", "/ownerId", "/reason"]],
      [{ ownerId: null }, ["/ownerId"]],
      [{ ownerId: "o", keyIds: ["key_1"] }, ["/keyIds"]],
    ];
    for (const [body, pointers] of cases) {
      expect(
        expectValidationError(await t.request("POST", "/v1/keys/revoke", body)),
        JSON.stringify(body),
      ).toEqual(expect.arrayContaining(pointers));
    }
  });

  it("answers NOT_FOUND for an unknown project", async () => {
    expectProblem(
      await t.request("POST", "/v1/keys/revoke", { projectId: "proj_0000000000000000000000" }),
      404,
      "NOT_FOUND",
    );
  });

  it("refuses a body that is not JSON, or not application/json", async () => {
    const inject = (contentType: string, payload: string) =>
      t.app.inject({
        method: "POST",
        url: "/v1/keys/revoke",
        headers: { authorization: `Bearer ${t.rootToken}`, "content-type": contentType },
        payload,
      });
    expectProblem(await inject("application/json", '{"ownerId":'), 400, "INVALID_JSON");
    expectProblem(await inject("text/plain", '{"ownerId":"o"}'), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectValidationError(await inject("application/json", '"o"'));
  });
});
