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

const create = (body: unknown) => t.request("POST", "/v1/tokens", body);

describe("POST /v1/tokens validation", () => {
  it("names missing name and permissions", async () => {
    expect(expectValidationError(await create({}))).toEqual(
      expect.arrayContaining(["/name", "/permissions"]),
    );
  });

  it("refuses an empty permission list and more than 50 permissions", async () => {
    expect(expectValidationError(await create({ name: "t", permissions: [] }))).toEqual(["/permissions"]);
    const many = Array.from({ length: 51 }, () => "keys:read");
    expect(expectValidationError(await create({ name: "t", permissions: many }))).toEqual(["/permissions"]);
  });

  it("names each unknown permission by its index", async () => {
    const res = await create({
      name: "t",
      permissions: ["keys:read", "keys:destroy", "admin", "keys:read:*", "*:*"],
    });
    expect(expectValidationError(res)).toEqual([
      "/permissions/1",
      "/permissions/2",
      "/permissions/3",
      "/permissions/4",
    ]);
  });

  it("indexes unknown permissions as sent, duplicates before them included", async () => {
    const res = await create({ name: "t", permissions: ["keys:read", "keys:read", "bad"] });
    expect(expectValidationError(res)).toEqual(["/permissions/2"]);
  });

  it("refuses an empty projectIds list and projects that do not exist", async () => {
    expect(
      expectValidationError(await create({ name: "t", permissions: ["keys:read"], projectIds: [] })),
    ).toEqual(["/projectIds"]);
    expect(
      expectValidationError(
        await create({ name: "t", permissions: ["keys:read"], projectIds: ["proj_missing"] }),
      ),
    ).toEqual(["/projectIds"]);
  });

  it("names wrong types, too-long names and unknown fields", async () => {
    const pointers = expectValidationError(
      await create({ name: "n".repeat(256), permissions: "keys:read", projectIds: "p", admin: true }),
    );
    expect(pointers).toEqual(expect.arrayContaining(["/name", "/permissions", "/projectIds", "/admin"]));
  });

  it("refuses invalid JSON and other content types", async () => {
    const headers = { authorization: `Bearer ${t.rootToken}` };
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/tokens",
        headers: { ...headers, "content-type": "application/json" },
        payload: '{"name":"t",',
      }),
      400,
      "INVALID_JSON",
    );
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/tokens",
        headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
        payload: "name=t",
      }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
  });
});

describe("POST /v1/tokens/{id}/revoke", () => {
  it("answers NOT_FOUND for an unknown id", async () => {
    expectProblem(
      await t.request("POST", "/v1/tokens/tok_0000000000000000000000/revoke", {}),
      404,
      "NOT_FOUND",
    );
  });

  it("refuses an id over 64 characters", async () => {
    expect(expectValidationError(await t.request("POST", `/v1/tokens/${"t".repeat(65)}/revoke`, {}))).toEqual(
      ["/id"],
    );
  });
});

describe("GET /v1/tokens", () => {
  it("refuses a bad cursor, a limit of 0 or 101, and unknown parameters", async () => {
    expect(expectValidationError(await t.request("GET", "/v1/tokens?cursor=%00"))).toEqual(["/cursor"]);
    expect(expectValidationError(await t.request("GET", "/v1/tokens?limit=0"))).toEqual(["/limit"]);
    expect(expectValidationError(await t.request("GET", "/v1/tokens?limit=101"))).toEqual(["/limit"]);
    expect(expectValidationError(await t.request("GET", "/v1/tokens?name=root"))).toEqual(["/name"]);
  });
});
