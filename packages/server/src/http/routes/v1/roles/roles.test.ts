import { permissionId } from "@keyward/core/key-roles.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken, verifyKey } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("/v1/permissions and /v1/roles", () => {
  it("creates a permission and a role, lists, gets by id or name, replaces permissions, deletes", async () => {
    const perm = await t.request("POST", "/v1/permissions", {
      slug: "invoices.read",
      name: "Read invoices",
      description: "Reads every invoice.",
    });
    expect(perm.statusCode, perm.body).toBe(201);
    expect(perm.json()).toEqual({
      id: permissionId("invoices.read"),
      slug: "invoices.read",
      name: "Read invoices",
      description: "Reads every invoice.",
      createdAt: new Date(t.clock.now()).toISOString(),
    });
    expect(
      (await t.request("POST", "/v1/permissions", { slug: "invoices.read", name: "again" })).statusCode,
    ).toBe(409);
    expect((await t.request("GET", "/v1/permissions/invoices.read")).json()).toMatchObject({
      name: "Read invoices",
    });

    const role = await t.request("POST", "/v1/roles", {
      name: "billing",
      permissions: ["invoices.read", "invoices.pay"],
    });
    expect(role.statusCode, role.body).toBe(201);
    const { id } = role.json() as { id: string };
    expect(id).toMatch(/^role_/);
    expect((await t.request("GET", "/v1/roles/billing")).json()).toMatchObject({
      id,
      permissions: [{ slug: "invoices.pay" }, { slug: "invoices.read" }],
    });
    const put = await t.request("PUT", `/v1/roles/${id}/permissions`, { permissions: ["invoices.read"] });
    expect(put.statusCode, put.body).toBe(200);
    expect((put.json() as { permissions: unknown[] }).permissions).toHaveLength(1);

    const list = await t.request("GET", "/v1/permissions?limit=1");
    expect(list.json()).toMatchObject({ items: [{}], nextCursor: expect.any(String) });
    expect((await t.request("GET", "/v1/roles?search=BILL")).json()).toMatchObject({ items: [{ id }] });

    expect((await t.request("DELETE", "/v1/roles/billing")).statusCode).toBe(204);
    expect((await t.request("GET", `/v1/roles/${id}`)).statusCode).toBe(404);
    expect((await t.request("DELETE", "/v1/permissions/invoices.read")).statusCode).toBe(204);
    expect((await t.request("DELETE", "/v1/permissions/invoices.read")).statusCode).toBe(404);
  });

  it("gives /v1 keys roles (by name or id): shown on the key, counted by verify, audited", async () => {
    const role = (
      await t.request("POST", "/v1/roles", { name: "orders", permissions: ["orders:write"] })
    ).json() as {
      id: string;
    };
    const created = await t.request("POST", "/v1/keys", { scopes: ["orders:read"], roles: ["orders"] });
    expect(created.statusCode, created.body).toBe(201);
    const key = created.json() as { id: string; key: string; roles: string[] };
    expect(key.roles).toEqual([role.id]);
    expect(await verifyKey(t, key.key, { scopes: ["orders:read", "orders:write"] })).toMatchObject({
      valid: true,
      scopes: ["orders:read"],
      roles: ["orders"],
      grantedScopes: ["orders:read", "orders:write"],
    });

    const patched = await t.request("PATCH", `/v1/keys/${key.id}`, { roles: [] });
    expect(patched.json()).toMatchObject({ roles: [] });
    expect(await verifyKey(t, key.key, { scopes: ["orders:write"] })).toMatchObject({
      code: "INSUFFICIENT_SCOPE",
      missingScopes: ["orders:write"],
    });
    expect((await t.request("GET", `/v1/keys/${key.id}`)).json()).toMatchObject({ roles: [] });

    const audit = await t.request("GET", "/v1/audit?limit=100");
    const actions = (audit.json() as { items: { action: string; diff: Record<string, unknown> }[] }).items;
    expect(actions.map((e) => e.action)).toEqual(expect.arrayContaining(["role.created", "key.updated"]));
    expect(actions.find((e) => e.action === "key.updated")?.diff).toMatchObject({
      roles: { from: [role.id], to: [] },
    });
  });

  it("answers 400 for unknown roles and bad slugs, 403 without rbac:write or with a project-limited token", async () => {
    const unknown = await t.request("POST", "/v1/keys", { roles: ["ghost"] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ errors: [{ pointer: "/roles/0" }] });
    const bad = await t.request("POST", "/v1/roles", { name: "bad", permissions: ["white space"] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ errors: [{ pointer: "/permissions/0" }] });

    const reader = await mintToken(t, ["rbac:read"]);
    expect((await t.request("GET", "/v1/roles", undefined, reader.token)).statusCode).toBe(200);
    expect((await t.request("POST", "/v1/roles", { name: "r" }, reader.token)).statusCode).toBe(403);
    const project = (await t.request("GET", "/v1/projects")).json() as { items: { id: string }[] };
    const limited = await mintToken(t, ["rbac:write"], { projectIds: [project.items[0]?.id as string] });
    expect((await t.request("POST", "/v1/roles", { name: "r" }, limited.token)).statusCode).toBe(403);
  });
});
