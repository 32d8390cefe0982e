import {
  BadRequestErrorResponse,
  ConflictErrorResponse,
  ForbiddenErrorResponse,
  NotFoundErrorResponse,
} from "@unkey/api/models/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProject, mintToken } from "../../../../test/support/api-helpers.js";
import { rejection, startUnkeyTarget, type UnkeyTarget } from "../../../../test/support/unkey-target.js";

let target: UnkeyTarget;
let apiId: string;
beforeAll(async () => {
  target = await startUnkeyTarget();
  apiId = await createProject(target.t, { name: "identities", keyPrefix: "idt" });
});
afterAll(async () => {
  await target.close();
});

const createKey = async (externalId: string, extra: Record<string, unknown> = {}) =>
  (await target.unkey.keys.createKey({ apiId, externalId, ...extra })).data;
const verify = async (key: string) => (await target.unkey.keys.verifyKey({ key })).data;

describe("/v2/identities.* with @unkey/api", () => {
  it("shares an identity's rate limit among its keys and returns its meta with every verification", async () => {
    const created = await target.unkey.identities.createIdentity({
      externalId: "acme",
      meta: { plan: "enterprise", seats: 40 },
      ratelimits: [{ name: "requests", limit: 2, duration: 60_000 }],
    });
    const identityId = created.data.identityId;
    expect(identityId).toMatch(/^id_/);
    const a = await createKey("acme");
    const b = await createKey("acme");

    const first = await verify(a.key);
    expect(first).toMatchObject({ valid: true, code: "VALID" });
    expect(first.identity).toEqual({
      id: identityId,
      externalId: "acme",
      meta: { plan: "enterprise", seats: 40 },
      ratelimits: [expect.objectContaining({ name: "requests", limit: 2, duration: 60_000 })],
    });
    expect(first.ratelimits).toEqual([
      expect.objectContaining({ name: "requests", remaining: 1, exceeded: false }),
    ]);
    expect((await verify(b.key)).code).toBe("VALID");
    // The third verification, through the first key again: the identity's count is shared.
    const third = await verify(a.key);
    expect(third).toMatchObject({ valid: false, code: "RATE_LIMITED" });
    expect(third.ratelimits?.[0]).toMatchObject({ name: "requests", exceeded: true, remaining: 0 });
    // The ratelimit id is the identity's, the same whichever key reports it.
    expect(third.ratelimits?.[0]?.id).toBe(first.ratelimits?.[0]?.id);
    expect(third.ratelimits?.[0]?.id).toBe(first.identity?.ratelimits?.[0]?.id);

    // A key's own limit of the same name applies instead of the identity's.
    const own = await createKey("acme", {
      ratelimits: [{ name: "requests", limit: 10, duration: 60_000, autoApply: true }],
    });
    expect((await verify(own.key)).code).toBe("VALID");

    // getKey and getIdentity agree on the id; getKey shows the identity's meta and limits.
    const key = await target.unkey.keys.getKey({ keyId: a.keyId });
    expect(key.data.identity).toMatchObject({ id: identityId, externalId: "acme", meta: { seats: 40 } });
    const byExternalId = await target.unkey.identities.getIdentity({ identity: "acme" });
    const byId = await target.unkey.identities.getIdentity({ identity: identityId });
    expect(byExternalId.data).toEqual(byId.data);
    expect(byId.data).toMatchObject({ id: identityId, externalId: "acme", meta: { plan: "enterprise" } });
  });

  it("applies an update and a deletion to the next verification", async () => {
    await target.unkey.identities.createIdentity({ externalId: "globex", meta: { plan: "free" } });
    const key = await createKey("globex");
    expect((await verify(key.key)).identity?.meta).toEqual({ plan: "free" });

    const updated = await target.unkey.identities.updateIdentity({
      identity: "globex",
      meta: { plan: "pro" },
      ratelimits: [{ name: "burst", limit: 1, duration: 1_000 }],
    });
    expect(updated.data).toMatchObject({ externalId: "globex", meta: { plan: "pro" } });
    expect(updated.data.ratelimits?.map((r) => r.name)).toEqual(["burst"]);
    const first = await verify(key.key);
    expect(first.identity?.meta).toEqual({ plan: "pro" });
    expect(first.code).toBe("VALID");
    expect((await verify(key.key)).code).toBe("RATE_LIMITED");
    target.t.clock.advance(2_000);

    // An absent field stays; an empty list removes the limits.
    const cleared = await target.unkey.identities.updateIdentity({ identity: "globex", ratelimits: [] });
    expect(cleared.data).toEqual({ id: updated.data.id, externalId: "globex", meta: { plan: "pro" } });

    await target.unkey.identities.deleteIdentity({ identity: updated.data.id });
    const after = await verify(key.key);
    expect(after.code).toBe("VALID");
    // The key still has its owner, shown with the same id, without meta.
    expect(after.identity).toEqual({ id: updated.data.id, externalId: "globex" });
    await rejection(target.unkey.identities.getIdentity({ identity: "globex" }), NotFoundErrorResponse);
  });

  it("creates an empty identity for a new externalId on createKey, as Unkey does", async () => {
    const key = await createKey("initech");
    const identity = await target.unkey.identities.getIdentity({ identity: "initech" });
    expect(identity.data).toEqual({ id: expect.stringMatching(/^id_/), externalId: "initech" });
    const fetched = await target.unkey.keys.getKey({ keyId: key.keyId });
    expect(fetched.data.identity?.id).toBe(identity.data.id);
    await rejection(target.unkey.identities.createIdentity({ externalId: "initech" }), ConflictErrorResponse);
  });

  it("lists identities page by page with page.next(), and searches ignoring case", async () => {
    for (const externalId of ["list_c", "list_a", "LIST_b"]) {
      await target.unkey.identities.createIdentity({ externalId });
    }
    const first = await target.unkey.identities.listIdentities({ limit: 2, search: "list_" });
    const seen: string[] = [];
    const hasMore: boolean[] = [];
    let page: Pick<typeof first, "result" | "next"> | null = first;
    while (page !== null) {
      seen.push(...page.result.data.map((i) => i.externalId));
      hasMore.push(page.result.pagination.hasMore);
      page = await page.next();
    }
    // externalId order: upper case before lower case.
    expect(seen).toEqual(["LIST_b", "list_a", "list_c"]);
    expect(hasMore).toEqual([true, false]);
    const all = await target.unkey.identities.listIdentities({});
    expect(all.result.data.length).toBeGreaterThanOrEqual(5);
  });

  it("answers 400 naming the field, 404, 409 for a duplicate externalId, and 403 without the permission", async () => {
    await target.unkey.identities.createIdentity({ externalId: "dupe" });
    await rejection(target.unkey.identities.createIdentity({ externalId: "dupe" }), ConflictErrorResponse);
    const bad = await rejection(
      target.unkey.identities.createIdentity({
        externalId: "bad",
        ratelimits: [{ name: "requests", limit: 1, duration: 10 }],
      }),
      BadRequestErrorResponse,
    );
    expect(bad.data$.error.errors.map((e) => e.location)).toContain("body/ratelimits/0/duration");
    const tooMany = await rejection(
      target.unkey.identities.createIdentity({
        externalId: "bad",
        ratelimits: Array.from({ length: 11 }, (_, i) => ({ name: `r${i}`, limit: 1, duration: 1_000 })),
      }),
      BadRequestErrorResponse,
    );
    expect(tooMany.data$.error.status).toBe(400);
    await rejection(
      target.unkey.identities.updateIdentity({ identity: "nobody", meta: {} }),
      NotFoundErrorResponse,
    );
    await rejection(target.unkey.identities.deleteIdentity({ identity: "nobody" }), NotFoundErrorResponse);

    // Unkey's root key names map to identities:read; writes need identities:write and an instance-wide token.
    const reader = await mintToken(target.t, ["identity.*.read_identity"]);
    const readOnly = target.clientWith(reader.token);
    expect((await readOnly.identities.getIdentity({ identity: "dupe" })).data.externalId).toBe("dupe");
    await rejection(readOnly.identities.createIdentity({ externalId: "x" }), ForbiddenErrorResponse);
    const limited = await mintToken(target.t, ["identity.*.create_identity", "api.*.read_key"], {
      projectIds: [apiId],
    });
    await rejection(
      target.clientWith(limited.token).identities.createIdentity({ externalId: "x" }),
      ForbiddenErrorResponse,
    );
  });
});
