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

const iso = (ms: number): string => new Date(ms).toISOString();

/** Revokes in bulk with the root token, asserts 200 and returns the count. */
async function revokeMany(body: Record<string, unknown>): Promise<number> {
  const res = await t.request("POST", "/v1/keys/revoke", body);
  expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
  expect(Object.keys(res.json())).toEqual(["revoked"]);
  return (res.json() as { revoked: number }).revoked;
}

async function record(id: string): Promise<Record<string, unknown>> {
  return (await t.request("GET", `/v1/keys/${id}`)).json() as Record<string, unknown>;
}

describe("POST /v1/keys/revoke", () => {
  it("revokes every key of an owner across projects with the reason, and counts them", async () => {
    const a = await createProject(t, { name: "a" });
    const b = await createProject(t, { name: "b" });
    const owned = [
      await createKey(t, { projectId: a, ownerId: "owner-bulk-1" }),
      await createKey(t, { projectId: a, ownerId: "owner-bulk-1" }),
      await createKey(t, { projectId: b, ownerId: "owner-bulk-1" }),
    ];
    const other = await createKey(t, { projectId: a, ownerId: "owner-bulk-other" });
    t.clock.advance(1_000);

    expect(await revokeMany({ ownerId: "owner-bulk-1", reason: "account closed" })).toBe(3);
    for (const key of owned) {
      expect(await record(key.id)).toMatchObject({
        revokedAt: iso(t.clock.now()),
        revokedReason: "account closed",
      });
      expect(await verifyKey(t, key.key)).toMatchObject({ valid: false, code: "REVOKED" });
    }
    expect(await record(other.id)).toMatchObject({ revokedAt: null });
    expect(await verifyKey(t, other.key)).toMatchObject({ valid: true });
  });

  it("revokes every key of a project and no other", async () => {
    const a = await createProject(t, { name: "a" });
    const b = await createProject(t, { name: "b" });
    const inA = [await createKey(t, { projectId: a }), await createKey(t, { projectId: a, ownerId: "x" })];
    const inB = await createKey(t, { projectId: b });
    expect(await revokeMany({ projectId: a })).toBe(2);
    for (const key of inA) expect(await record(key.id)).toMatchObject({ revokedReason: null });
    for (const key of inA) expect((await record(key.id)).revokedAt).not.toBeNull();
    expect(await record(inB.id)).toMatchObject({ revokedAt: null });
  });

  it("revokes only the owner's keys within the project when both are given", async () => {
    const a = await createProject(t, { name: "a" });
    const b = await createProject(t, { name: "b" });
    const target = await createKey(t, { projectId: a, ownerId: "owner-both" });
    const sameOwnerElsewhere = await createKey(t, { projectId: b, ownerId: "owner-both" });
    const otherOwner = await createKey(t, { projectId: a, ownerId: "owner-both-other" });
    expect(await revokeMany({ projectId: a, ownerId: "owner-both" })).toBe(1);
    expect((await record(target.id)).revokedAt).not.toBeNull();
    expect(await record(sameOwnerElsewhere.id)).toMatchObject({ revokedAt: null });
    expect(await record(otherOwner.id)).toMatchObject({ revokedAt: null });
  });

  it("counts only keys it revoked: revoked keys keep their first revocation, and a repeat revokes none", async () => {
    const projectId = await createProject(t);
    const first = await createKey(t, { projectId });
    await createKey(t, { projectId });
    await t.request("POST", `/v1/keys/${first.id}/revoke`, { reason: "first" });
    const revokedAt = (await record(first.id)).revokedAt;
    t.clock.advance(5_000);
    expect(await revokeMany({ projectId, reason: "second" })).toBe(1);
    expect(await record(first.id)).toMatchObject({ revokedAt, revokedReason: "first" });
    expect(await revokeMany({ projectId })).toBe(0);
  });

  it("answers 0 when nothing matches", async () => {
    expect(await revokeMany({ ownerId: "nobody-owns-this" })).toBe(0);
    expect(await revokeMany({ projectId: await createProject(t) })).toBe(0);
  });

  it("revokes rotated keys and their replacements alike", async () => {
    const projectId = await createProject(t);
    const old = await createKey(t, { projectId, ownerId: "owner-rotated-bulk" });
    const rotated = (await t.request("POST", `/v1/keys/${old.id}/rotate`, {})).json() as { key: string };
    expect(await revokeMany({ ownerId: "owner-rotated-bulk" })).toBe(2);
    expect(await verifyKey(t, old.key)).toMatchObject({ valid: false, code: "REVOKED" });
    expect(await verifyKey(t, rotated.key)).toMatchObject({ valid: false, code: "REVOKED" });
  });

  it("revokes more keys than one batch holds", async () => {
    const projectId = await createProject(t);
    for (let i = 0; i < 510; i++) {
      await t.instance.keys.createKey(
        { tokenId: "test", permissions: ["*"], projectIds: null },
        { projectId, ownerId: "owner-many" },
      );
    }
    expect(await revokeMany({ ownerId: "owner-many" })).toBe(510);
    const listed = await t.request("GET", `/v1/keys?projectId=${projectId}&limit=100`);
    for (const key of listed.json().items as Array<{ revokedAt: string | null }>) {
      expect(key.revokedAt).not.toBeNull();
    }
  });
});
