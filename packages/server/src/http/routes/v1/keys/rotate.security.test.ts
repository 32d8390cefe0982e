import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createProject,
  expectProblem,
  mintToken,
  rawResponse,
  verifyKey,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
let projectA: string;
let projectB: string;
beforeAll(async () => {
  t = await createTestApp();
  projectA = await createProject(t, { name: "a", keyPrefix: "pa" });
  projectB = await createProject(t, { name: "b", keyPrefix: "pb" });
});
afterAll(async () => {
  await t.close();
});

describe("POST /v1/keys/{id}/rotate authorization", () => {
  it("answers 401 without a token or with a garbage one", async () => {
    const key = await createKey(t);
    for (const token of [null, "garbage"]) {
      const res = await t.request("POST", `/v1/keys/${key.id}/rotate`, {}, token);
      expectProblem(res, 401, "UNAUTHORIZED");
      expect(res.headers["www-authenticate"]).toBe('Bearer realm="keyward"');
    }
  });

  it("needs keys:rotate: keys:create, keys:update and keys:revoke together do not do", async () => {
    const key = await createKey(t);
    const others = (await mintToken(t, ["keys:create", "keys:read", "keys:update", "keys:revoke"])).token;
    expectProblem(await t.request("POST", `/v1/keys/${key.id}/rotate`, {}, others), 403, "FORBIDDEN");
    expect((await t.request("GET", `/v1/keys/${key.id}`)).json()).toMatchObject({ replacedBy: null });
    const rotator = (await mintToken(t, ["keys:rotate"])).token;
    expect((await t.request("POST", `/v1/keys/${key.id}/rotate`, {}, rotator)).statusCode).toBe(201);
  });

  it("lets a token limited to project A rotate A's keys, and answers NOT_FOUND for B's, untouched", async () => {
    const limited = (await mintToken(t, ["keys:rotate"], { projectIds: [projectA] })).token;
    const keyA = await createKey(t, { projectId: projectA });
    const keyB = await createKey(t, { projectId: projectB });
    const hidden = await t.request("POST", `/v1/keys/${keyB.id}/rotate`, {}, limited);
    const absent = await t.request("POST", "/v1/keys/key_0000000000000000000000/rotate", {}, limited);
    expectProblem(hidden, 404, "NOT_FOUND");
    expect({ ...hidden.json(), requestId: null }).toEqual({ ...absent.json(), requestId: null });
    expect((await t.request("GET", `/v1/keys/${keyB.id}`)).json()).toMatchObject({
      replacedBy: null,
      expiresAt: null,
    });
    const rotated = await t.request("POST", `/v1/keys/${keyA.id}/rotate`, {}, limited);
    expect(rotated.statusCode, rotated.body).toBe(201);
    expect(rotated.json().key).toMatch(/^pa_/);
  });

  it("hides a rotated key's state from a token limited to another project", async () => {
    const keyB = await createKey(t, { projectId: projectB });
    await t.request("POST", `/v1/keys/${keyB.id}/rotate`, {});
    const limited = (await mintToken(t, ["keys:*"], { projectIds: [projectA] })).token;
    // Not KEY_ALREADY_ROTATED: that would tell the caller the key exists.
    expectProblem(await t.request("POST", `/v1/keys/${keyB.id}/rotate`, {}, limited), 404, "NOT_FOUND");
    expect(await verifyKey(t, keyB.key, {}, limited)).toEqual({ valid: false, code: "NOT_FOUND" });
  });
});

describe("plaintext keys around a rotation", () => {
  it("the new key appears only in the rotate response, and the old key in none", async () => {
    const old = await createKey(t, { projectId: projectA, name: "secret-rotation" });
    const rotateRes = await t.request("POST", `/v1/keys/${old.id}/rotate`, {});
    const rotated = rotateRes.json() as { key: string; id: string; previous: Record<string, unknown> };
    expect(rotateRes.body.split(rotated.key)).toHaveLength(2);
    expect(rawResponse(rotateRes)).not.toContain(old.key);
    expect(rotated.previous).not.toHaveProperty("key");
    expect(Object.keys(rotated.previous)).not.toContain("digest");

    const secrets = [old.key, rotated.key, rotated.key.slice(rotated.key.lastIndexOf("_") + 1)];
    const responses: LightMyRequestResponse[] = [
      await t.request("GET", `/v1/keys/${old.id}`),
      await t.request("GET", `/v1/keys/${rotated.id}`),
      await t.request("GET", `/v1/keys?projectId=${projectA}&limit=100`),
      await t.request("POST", "/v1/keys/verify", { key: old.key }),
      await t.request("POST", "/v1/keys/verify", { key: rotated.key }),
      await t.request("POST", `/v1/keys/${old.id}/rotate`, {}),
      await t.request("POST", `/v1/keys/${rotated.id}/rotate`, { gracePeriodSeconds: rotated.key }),
    ];
    for (const [index, res] of responses.entries()) {
      const raw = rawResponse(res);
      for (const secret of [...secrets, t.rootToken]) expect(raw, `response ${index}`).not.toContain(secret);
    }
  });
});
