import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createProject,
  expectProblem,
  mintToken,
  verifyKey,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("DELETE /v1/keys/{id}", () => {
  it("erases the key: 204, then 404 for every operation on it and NOT_FOUND on verify", async () => {
    const created = await createKey(t, { name: "to erase" });
    const res = await t.request("DELETE", `/v1/keys/${created.id}`);
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe("");
    expect(await verifyKey(t, created.key)).toMatchObject({ valid: false, code: "NOT_FOUND" });
    expectProblem(await t.request("GET", `/v1/keys/${created.id}`), 404, "NOT_FOUND");
    expectProblem(await t.request("PATCH", `/v1/keys/${created.id}`, { name: "x" }), 404, "NOT_FOUND");
    expectProblem(await t.request("POST", `/v1/keys/${created.id}/revoke`, {}), 404, "NOT_FOUND");
    expectProblem(await t.request("DELETE", `/v1/keys/${created.id}`), 404, "NOT_FOUND");
    const audit = await t.request("GET", `/v1/audit?targetId=${created.id}`);
    const actions = (audit.json() as { items: { action: string }[] }).items.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["key.created", "key.deleted"]));
  });

  it("erases a revoked key too, and keeps the replacement of a rotated key working", async () => {
    const old = await createKey(t);
    const rotated = await t.request("POST", `/v1/keys/${old.id}/rotate`, { gracePeriodSeconds: 60 });
    const replacement = rotated.json() as { id: string; key: string };
    expect((await t.request("DELETE", `/v1/keys/${old.id}`)).statusCode).toBe(204);
    expect(await verifyKey(t, replacement.key)).toMatchObject({ valid: true });
    expect((await t.request("GET", `/v1/keys/${replacement.id}`)).json()).toMatchObject({ replaces: null });

    const revoked = await createKey(t);
    await t.request("POST", `/v1/keys/${revoked.id}/revoke`, {});
    expect((await t.request("DELETE", `/v1/keys/${revoked.id}`)).statusCode).toBe(204);
  });

  it("needs keys:revoke, and answers 404 for a key the token cannot see", async () => {
    const created = await createKey(t);
    const reader = await mintToken(t, ["keys:read"]);
    expectProblem(
      await t.request("DELETE", `/v1/keys/${created.id}`, undefined, reader.token),
      403,
      "FORBIDDEN",
    );
    const other = await createProject(t, { name: "elsewhere" });
    const limited = await mintToken(t, ["keys:revoke", "keys:read"], { projectIds: [other] });
    expectProblem(
      await t.request("DELETE", `/v1/keys/${created.id}`, undefined, limited.token),
      404,
      "NOT_FOUND",
    );
    expect(await verifyKey(t, created.key)).toMatchObject({ valid: true });
  });
});

describe("DELETE /v1/projects/{id}", () => {
  it("deletes the project and revokes its keys; it is gone from every read and its keys are NOT_FOUND", async () => {
    const doomed = await createProject(t, { name: "doomed" });
    const keys = [await createKey(t, { projectId: doomed }), await createKey(t, { projectId: doomed })];
    const survivor = await createKey(t);
    const res = await t.request("DELETE", `/v1/projects/${doomed}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ revoked: 2 });
    for (const key of keys) {
      expect(await verifyKey(t, key.key)).toMatchObject({ valid: false, code: "NOT_FOUND" });
      expect((await t.request("GET", `/v1/keys/${key.id}`)).json()).toMatchObject({
        revokedReason: "project deleted",
      });
    }
    expect(await verifyKey(t, survivor.key)).toMatchObject({ valid: true });
    expectProblem(await t.request("GET", `/v1/projects/${doomed}`), 404, "NOT_FOUND");
    expectProblem(await t.request("PATCH", `/v1/projects/${doomed}`, { name: "back" }), 404, "NOT_FOUND");
    expectProblem(await t.request("POST", "/v1/keys", { projectId: doomed }), 404, "NOT_FOUND");
    expectProblem(await t.request("DELETE", `/v1/projects/${doomed}`), 404, "NOT_FOUND");
    const listed = (await t.request("GET", "/v1/projects?limit=100")).json() as { items: { id: string }[] };
    expect(listed.items.map((p) => p.id)).not.toContain(doomed);
    const audit = await t.request("GET", `/v1/audit?targetId=${doomed}`);
    expect((audit.json() as { items: { action: string }[] }).items.map((e) => e.action)).toContain(
      "project.deleted",
    );
  });

  it("refuses the default project with 409, and needs keys:revoke besides projects:write", async () => {
    const defaultProject = (await createKey(t)).projectId;
    expectProblem(await t.request("DELETE", `/v1/projects/${defaultProject}`), 409, "CONFLICT");
    const project = await createProject(t, { name: "guarded" });
    const writer = await mintToken(t, ["projects:write"]);
    expectProblem(
      await t.request("DELETE", `/v1/projects/${project}`, undefined, writer.token),
      403,
      "FORBIDDEN",
    );
    expect((await t.request("GET", `/v1/projects/${project}`)).statusCode).toBe(200);
  });
});
