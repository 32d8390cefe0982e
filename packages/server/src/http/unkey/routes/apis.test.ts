import {
  BadRequestErrorResponse,
  ForbiddenErrorResponse,
  NotFoundErrorResponse,
  UnauthorizedErrorResponse,
} from "@unkey/api/models/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, mintToken, verifyKey } from "../../../../test/support/api-helpers.js";
import { asSession, userWithTotp } from "../../../../test/support/session-helpers.js";
import { rejection, startUnkeyTarget, type UnkeyTarget } from "../../../../test/support/unkey-target.js";

let target: UnkeyTarget;
beforeAll(async () => {
  target = await startUnkeyTarget();
});
afterAll(async () => {
  await target.close();
});

describe("apis.createApi and apis.getApi", () => {
  it("create a Keyward project with the default key prefix and read back its id and name", async () => {
    const created = await target.unkey.apis.createApi({ name: "billing-api" });
    expect(created.meta.requestId).toMatch(/^req_/);
    const apiId = created.data.apiId;
    expect(apiId).toMatch(/^proj_/);

    const got = await target.unkey.apis.getApi({ apiId });
    expect(got.data).toEqual({ id: apiId, name: "billing-api" });
    const project = await target.t.request("GET", `/v1/projects/${apiId}`);
    expect(project.json()).toMatchObject({ id: apiId, name: "billing-api", keyPrefix: "kw" });
  });

  it("refuse an empty or over-long name with a typed 400 naming the field", async () => {
    for (const name of ["", "n".repeat(256)]) {
      const error = await rejection(target.unkey.apis.createApi({ name }), BadRequestErrorResponse);
      expect(error.statusCode).toBe(400);
      expect(error.error.errors.map((e) => e.location)).toEqual(["body/name"]);
    }
  });

  it("answer a typed 404 for an unknown project and for one the token cannot see", async () => {
    await rejection(target.unkey.apis.getApi({ apiId: "proj_missing" }), NotFoundErrorResponse);
    const { data } = await target.unkey.apis.createApi({ name: "hidden" });
    const { data: other } = await target.unkey.apis.createApi({ name: "visible" });
    const limited = await mintToken(target.t, ["projects:read"], { projectIds: [other.apiId] });
    const client = target.clientWith(limited.token);
    const error = await rejection(client.apis.getApi({ apiId: data.apiId }), NotFoundErrorResponse);
    expect(error.error.status).toBe(404);
    expect((await client.apis.getApi({ apiId: other.apiId })).data.name).toBe("visible");
  });

  it("answer a typed 401 for an unknown root key and a typed 403 without the permission", async () => {
    const unknown = target.clientWith("kwr_not_a_real_token");
    await rejection(unknown.apis.createApi({ name: "x" }), UnauthorizedErrorResponse);
    await rejection(unknown.apis.getApi({ apiId: "proj_x" }), UnauthorizedErrorResponse);

    const reader = target.clientWith((await mintToken(target.t, ["projects:read"])).token);
    await rejection(reader.apis.createApi({ name: "x" }), ForbiddenErrorResponse);
    const writer = target.clientWith((await mintToken(target.t, ["projects:write"])).token);
    await rejection(writer.apis.getApi({ apiId: "proj_x" }), ForbiddenErrorResponse);
  });

  it("refuse a token limited to projects on createApi, as POST /v1/projects does", async () => {
    const { data } = await target.unkey.apis.createApi({ name: "mine" });
    const limited = await mintToken(target.t, ["projects:write"], { projectIds: [data.apiId] });
    await rejection(
      target.clientWith(limited.token).apis.createApi({ name: "more" }),
      ForbiddenErrorResponse,
    );
  });
});

describe("apis.deleteApi", () => {
  it("deletes the project and revokes its keys, and leaves other APIs and their keys alone", async () => {
    const { data: doomed } = await target.unkey.apis.createApi({ name: "doomed" });
    const { data: kept } = await target.unkey.apis.createApi({ name: "kept" });
    const keys = [
      await createKey(target.t, { projectId: doomed.apiId }),
      await createKey(target.t, { projectId: doomed.apiId, ownerId: "customer_1" }),
    ];
    const survivor = await createKey(target.t, { projectId: kept.apiId });

    const deleted = await target.unkey.apis.deleteApi({ apiId: doomed.apiId });
    expect(deleted.data).toEqual({});

    for (const key of keys) {
      expect(await verifyKey(target.t, key.key)).toMatchObject({ valid: false, code: "NOT_FOUND" });
      const record = await target.t.request("GET", `/v1/keys/${key.id}`);
      expect(record.json()).toMatchObject({ revokedReason: "project deleted" });
    }
    expect(await verifyKey(target.t, survivor.key)).toMatchObject({ valid: true });
    expect((await target.unkey.apis.getApi({ apiId: kept.apiId })).data.name).toBe("kept");
    // Gone for every Unkey operation, as on Unkey; deleting again is a 404.
    await rejection(target.unkey.apis.getApi({ apiId: doomed.apiId }), NotFoundErrorResponse);
    await rejection(target.unkey.apis.listKeys({ apiId: doomed.apiId }), NotFoundErrorResponse);
    await rejection(target.unkey.keys.createKey({ apiId: doomed.apiId }), NotFoundErrorResponse);
    await rejection(target.unkey.apis.deleteApi({ apiId: doomed.apiId }), NotFoundErrorResponse);
    const listed = (await target.t.request("GET", "/v1/projects?limit=100")).json() as {
      items: { id: string }[];
    };
    expect(listed.items.map((p) => p.id)).not.toContain(doomed.apiId);
  });

  it("refuses the default project with a 409", async () => {
    // A key created without a project goes to the default one.
    const defaultId = (await createKey(target.t)).projectId;
    const refused = await target.t.request("POST", "/v2/apis.deleteApi", { apiId: defaultId });
    expect(refused.statusCode).toBe(409);
    expect((await target.unkey.apis.getApi({ apiId: defaultId })).data.id).toBe(defaultId);
  });

  it("answers a typed 404 for an API the token cannot see, and revokes nothing there", async () => {
    await rejection(target.unkey.apis.deleteApi({ apiId: "proj_missing" }), NotFoundErrorResponse);
    const { data: hidden } = await target.unkey.apis.createApi({ name: "not yours" });
    const { data: own } = await target.unkey.apis.createApi({ name: "yours" });
    const key = await createKey(target.t, { projectId: hidden.apiId });
    const limited = await mintToken(target.t, ["projects:write", "keys:revoke"], { projectIds: [own.apiId] });
    await rejection(
      target.clientWith(limited.token).apis.deleteApi({ apiId: hidden.apiId }),
      NotFoundErrorResponse,
    );
    expect(await verifyKey(target.t, key.key)).toMatchObject({ valid: true });
  });

  it("needs keys:revoke besides projects:write, and revokes nothing without it", async () => {
    const { data } = await target.unkey.apis.createApi({ name: "guarded" });
    const key = await createKey(target.t, { projectId: data.apiId });
    const writer = target.clientWith((await mintToken(target.t, ["projects:write"])).token);
    await rejection(writer.apis.deleteApi({ apiId: data.apiId }), ForbiddenErrorResponse);
    const revoker = target.clientWith((await mintToken(target.t, ["keys:revoke"])).token);
    await rejection(revoker.apis.deleteApi({ apiId: data.apiId }), ForbiddenErrorResponse);
    expect(await verifyKey(target.t, key.key)).toMatchObject({ valid: true });

    const both = target.clientWith((await mintToken(target.t, ["projects:write", "keys:revoke"])).token);
    await both.apis.deleteApi({ apiId: data.apiId });
    expect(await verifyKey(target.t, key.key)).toMatchObject({ code: "NOT_FOUND" });
  });

  it("needs a recent second factor from a session, as bulk revocation does", async () => {
    const { data } = await target.unkey.apis.createApi({ name: "session-owned" });
    const key = await createKey(target.t, { projectId: data.apiId });
    const { session } = await userWithTotp(target.t, "owner@example.com", "owner");
    target.t.clock.advance(5 * 60_000 + 1);
    const refused = await asSession(target.t, session, "POST", "/v2/apis.deleteApi", { apiId: data.apiId });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers["content-type"]).toMatch(/^application\/json/);
    expect(refused.json()).toMatchObject({ error: { status: 403, detail: expect.any(String) } });
    expect(await verifyKey(target.t, key.key)).toMatchObject({ valid: true });
  });
});
