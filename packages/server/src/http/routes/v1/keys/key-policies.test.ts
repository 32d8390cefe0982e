import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createProject, verifyKey } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const DAY_MS = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** A new project with these policies set through the API. */
async function projectWith(policies: Record<string, string>): Promise<string> {
  const projectId = await createProject(t, { name: "policies" });
  const res = await t.request("PATCH", `/v1/projects/${projectId}`, { policies });
  expect(res.statusCode, res.body).toBe(200);
  return projectId;
}

describe("a project's maxLifetime", () => {
  it("gives a key created without expiresAt the expiry createdAt + maxLifetime", async () => {
    const projectId = await projectWith({ maxLifetime: "P30D" });
    const created = await createKey(t, { projectId });
    expect(created.expiresAt).toBe(iso(t.clock.now() + 30 * DAY_MS));
    t.clock.advance(30 * DAY_MS - 1);
    expect(await verifyKey(t, created.key)).toMatchObject({ valid: true });
    t.clock.advance(1);
    expect(await verifyKey(t, created.key)).toMatchObject({ valid: false, code: "EXPIRED" });
  });

  it("follows the calendar for months and years", async () => {
    const projectId = await projectWith({ maxLifetime: "P1Y2M" });
    const created = await createKey(t, { projectId });
    const expected = new Date(t.clock.now());
    expected.setUTCFullYear(expected.getUTCFullYear() + 1, expected.getUTCMonth() + 2);
    expect(created.expiresAt).toBe(expected.toISOString());
  });

  it("accepts any expiry up to the maximum, on create and on update", async () => {
    const projectId = await projectWith({ maxLifetime: "P30D" });
    const createdAt = t.clock.now();
    const latest = createdAt + 30 * DAY_MS;
    const created = await createKey(t, { projectId, expiresAt: iso(latest) });
    expect(created.expiresAt).toBe(iso(latest));
    const sooner = await createKey(t, { projectId, expiresAt: iso(createdAt + DAY_MS) });
    expect(sooner.expiresAt).toBe(iso(createdAt + DAY_MS));
    // The maximum counts from the key's creation, not from the update.
    t.clock.advance(10 * DAY_MS);
    const updated = await t.request("PATCH", `/v1/keys/${sooner.id}`, { expiresAt: iso(latest) });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({ expiresAt: iso(latest) });
    const other = await t.request("PATCH", `/v1/keys/${sooner.id}`, { name: "renamed" });
    expect(other.statusCode, other.body).toBe(200);
  });

  it("leaves keys created before the policy as they are until they change", async () => {
    const projectId = await createProject(t, { name: "later" });
    const before = await createKey(t, { projectId });
    await t.request("PATCH", `/v1/projects/${projectId}`, { policies: { maxLifetime: "P7D" } });
    expect((await t.request("GET", `/v1/keys/${before.id}`)).json()).toMatchObject({ expiresAt: null });
    expect(await verifyKey(t, before.key)).toMatchObject({ valid: true, expiresAt: null });
  });

  it("stops applying once removed", async () => {
    const projectId = await projectWith({ maxLifetime: "P7D" });
    await t.request("PATCH", `/v1/projects/${projectId}`, { policies: { maxLifetime: null } });
    const created = await createKey(t, { projectId });
    expect(created.expiresAt).toBeNull();
    const far = await createKey(t, { projectId, expiresAt: iso(t.clock.now() + 3650 * DAY_MS) });
    expect(far.expiresAt).toBe(iso(t.clock.now() + 3650 * DAY_MS));
  });
});

describe("a project's rotationPeriod", () => {
  it("marks keys rotationDue from exactly rotationPeriod after creation, in records, lists and verification", async () => {
    const projectId = await projectWith({ rotationPeriod: "P90D" });
    const created = await createKey(t, { projectId });
    expect(created.rotationDue).toBe(false);

    t.clock.advance(90 * DAY_MS - 1);
    expect((await t.request("GET", `/v1/keys/${created.id}`)).json()).toMatchObject({ rotationDue: false });
    expect(await verifyKey(t, created.key)).toMatchObject({ valid: true, rotationDue: false });

    t.clock.advance(1);
    expect((await t.request("GET", `/v1/keys/${created.id}`)).json()).toMatchObject({ rotationDue: true });
    const listed = await t.request("GET", `/v1/keys?projectId=${projectId}`);
    expect(listed.json().items).toEqual([expect.objectContaining({ id: created.id, rotationDue: true })]);
    expect(await verifyKey(t, created.key)).toMatchObject({ valid: true, code: "VALID", rotationDue: true });
    const patched = await t.request("PATCH", `/v1/keys/${created.id}`, { name: "still due" });
    expect(patched.json()).toMatchObject({ rotationDue: true });
  });

  it("reports rotationDue on failed verifications too, but never for a revoked key", async () => {
    const projectId = await projectWith({ rotationPeriod: "PT1H" });
    const created = await createKey(t, { projectId, scopes: ["a"] });
    t.clock.advance(3_600_000);
    expect(await verifyKey(t, created.key, { scopes: ["b"] })).toMatchObject({
      valid: false,
      code: "INSUFFICIENT_SCOPE",
      rotationDue: true,
    });
    await t.request("PATCH", `/v1/keys/${created.id}`, { enabled: false });
    expect(await verifyKey(t, created.key)).toMatchObject({ code: "DISABLED", rotationDue: true });
    const revoked = await t.request("POST", `/v1/keys/${created.id}/revoke`, {});
    expect(revoked.json()).toMatchObject({ rotationDue: false });
    expect(await verifyKey(t, created.key)).toMatchObject({ code: "REVOKED", rotationDue: false });
  });

  it("is false for every key of a project without the policy, and once the policy is removed", async () => {
    const projectId = await projectWith({ rotationPeriod: "P1D" });
    const created = await createKey(t, { projectId });
    t.clock.advance(2 * DAY_MS);
    expect(await verifyKey(t, created.key)).toMatchObject({ rotationDue: true });
    await t.request("PATCH", `/v1/projects/${projectId}`, { policies: { rotationPeriod: null } });
    expect(await verifyKey(t, created.key)).toMatchObject({ rotationDue: false });
    expect((await t.request("GET", `/v1/keys/${created.id}`)).json()).toMatchObject({ rotationDue: false });
  });
});
