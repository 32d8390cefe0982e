import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createKey,
  createProject,
  expectProblem,
  expectValidationError,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
let projectId: string;

beforeEach(async () => {
  t = await createTestApp();
  projectId = await createProject(t, { name: "vault" });
});
afterEach(async () => {
  await t.close();
});

async function storeSecret(name = "S", value = "v"): Promise<string> {
  const res = await t.request("POST", "/v1/secrets", { projectId, name, value });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

describe("secrets: bad requests", () => {
  it("names each invalid field of a create, and never echoes the value", async () => {
    const value = "do-not-echo-this-value";
    expect(expectValidationError(await t.request("POST", "/v1/secrets", { projectId, value }))).toEqual([
      "/name",
    ]);
    expect(expectValidationError(await t.request("POST", "/v1/secrets", { projectId, name: "N" }))).toEqual([
      "/value",
    ]);
    for (const name of ["has space", "-dash", "n".repeat(129), ""]) {
      const res = await t.request("POST", "/v1/secrets", { projectId, name, value });
      expect(expectValidationError(res)).toEqual(["/name"]);
      expect(res.body).not.toContain(value);
    }
    for (const bad of ["", "x".repeat(8193), "€".repeat(2731), 42]) {
      const res = await t.request("POST", "/v1/secrets", { projectId, name: "N", value: bad });
      expect(expectValidationError(res)).toEqual(["/value"]);
    }
    const extra = await t.request("POST", "/v1/secrets", { projectId, name: "N", value, extra: 1 });
    expect(expectValidationError(extra)).toEqual(["/extra"]);
    expect(extra.body).not.toContain(value);
  });

  it("answers CONFLICT for a name taken in the project, NOT_FOUND for an unknown project", async () => {
    await storeSecret("TAKEN");
    expectProblem(
      await t.request("POST", "/v1/secrets", { projectId, name: "TAKEN", value: "w" }),
      409,
      "CONFLICT",
    );
    expectProblem(
      await t.request("POST", "/v1/secrets", {
        projectId: "proj_0000000000000000000000",
        name: "N",
        value: "w",
      }),
      404,
      "NOT_FOUND",
    );
  });

  it("answers NOT_FOUND for an unknown secret on every route, and 400 for a bad cursor or limit", async () => {
    const missing = "sec_0000000000000000000000";
    expectProblem(await t.request("GET", `/v1/secrets/${missing}`), 404, "NOT_FOUND");
    expectProblem(await t.request("PATCH", `/v1/secrets/${missing}`, { value: "v" }), 404, "NOT_FOUND");
    expectProblem(await t.request("DELETE", `/v1/secrets/${missing}`), 404, "NOT_FOUND");
    expectProblem(await t.request("POST", `/v1/secrets/${missing}/reveal`), 404, "NOT_FOUND");
    expect(expectValidationError(await t.request("GET", "/v1/secrets?cursor=nope!"))).toEqual(["/cursor"]);
    expect(expectValidationError(await t.request("GET", "/v1/secrets?limit=0"))).toEqual(["/limit"]);
    const id = await storeSecret();
    expect(expectValidationError(await t.request("PATCH", `/v1/secrets/${id}`, { name: "renamed" }))).toEqual(
      ["/value", "/name"],
    );
  });

  it("answers 429 TOO_MANY_REVEALS with Retry-After past 10 reveals a minute, and serves again after the wait", async () => {
    const id = await storeSecret();
    for (let i = 0; i < 10; i++)
      expect((await t.request("POST", `/v1/secrets/${id}/reveal`)).statusCode).toBe(200);
    const refused = await t.request("POST", `/v1/secrets/${id}/reveal`);
    expectProblem(refused, 429, "TOO_MANY_REVEALS");
    const wait = Number(refused.headers["retry-after"]);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(120);
    t.clock.advance(wait * 1000 + 60_000);
    expect((await t.request("POST", `/v1/secrets/${id}/reveal`)).statusCode).toBe(200);
  });

  it("answers a clear DECRYPTION_FAILED problem, not an internal error, for a value moved from another secret", async () => {
    const a = await storeSecret("A", "value of a");
    const b = await storeSecret("B", "value of b");
    const sealedA = (await t.instance.stores.secrets.readSealedSecret(a))?.sealedValue ?? "";
    await t.instance.stores.secrets.updateSecretValue(b, sealedA, t.clock.now());
    const res = await t.request("POST", `/v1/secrets/${b}/reveal`);
    const problem = expectProblem(res, 500, "DECRYPTION_FAILED");
    expect(problem.detail).toMatch(/could not be decrypted/);
    expect(res.body).not.toContain("value of a");
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it("answers NOT_FOUND for a key kept without a copy, and 400 for a recoverableKeys that is not a boolean", async () => {
    const plain = await createKey(t, { projectId });
    const res = await t.request("POST", `/v1/keys/${plain.id}/reveal`);
    expect(expectProblem(res, 404, "NOT_FOUND").detail).toMatch(/recoverableKeys/);
    expectProblem(await t.request("POST", "/v1/keys/key_0000000000000000000000/reveal"), 404, "NOT_FOUND");
    expect(
      expectValidationError(
        await t.request("PATCH", `/v1/projects/${projectId}`, { recoverableKeys: "yes" }),
      ),
    ).toEqual(["/recoverableKeys"]);
  });
});
