import {
  BadRequestErrorResponse,
  ForbiddenErrorResponse,
  NotFoundErrorResponse,
  UnauthorizedErrorResponse,
} from "@unkey/api/models/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../../../../test/support/api-helpers.js";
import { rootPrincipal } from "../../../../test/support/session-helpers.js";
import { rejection, startUnkeyTarget, type UnkeyTarget } from "../../../../test/support/unkey-target.js";
import type { CreateKeyInput } from "../../../services/key-service.js";
import type { Principal } from "../../../services/principal.js";
import { unkeyRatelimitId } from "../key-presenter.js";

/** Keys one token may reveal per minute: low, so `decrypt` reaches it in a few calls. */
const REVEAL_LIMIT = 5;

let target: UnkeyTarget;
let root: Principal;
let apiId: string;

beforeAll(async () => {
  target = await startUnkeyTarget({ env: { KEYWARD_REVEAL_LIMIT_PER_MINUTE: String(REVEAL_LIMIT) } });
  root = await rootPrincipal(target.t);
  apiId = (await target.t.instance.projects.createProject(root, { name: "docs-api" })).id;
});
afterAll(async () => {
  await target.close();
});

/** Creates a key in the test API through the /v1 service. */
async function createKey(input: CreateKeyInput = {}): Promise<{ key: string; keyId: string }> {
  const { key, record } = await target.t.instance.keys.createKey(root, { projectId: apiId, ...input });
  return { key, keyId: record.id };
}

describe("POST /v2/keys.verifyKey", () => {
  it("answers VALID for a key whose scopes satisfy the permission query, with its details", async () => {
    const { key, keyId } = await createKey({
      name: "reader",
      ownerId: "user_1",
      meta: { plan: "pro" },
      scopes: ["documents.read", "admin"],
      expiresAt: target.t.clock.now() + 3_600_000,
    });
    const { data } = await target.unkey.keys.verifyKey({
      key,
      permissions: "documents.read AND (documents.write OR admin)",
    });
    expect(data).toEqual({
      valid: true,
      code: "VALID",
      keyId,
      name: "reader",
      meta: { plan: "pro" },
      expires: target.t.clock.now() + 3_600_000,
      enabled: true,
      permissions: ["documents.read", "admin"],
      identity: { id: expect.stringMatching(/^id_/), externalId: "user_1" },
    });
  });

  it("answers INSUFFICIENT_PERMISSIONS when the query fails, and honours Keyward's wildcards", async () => {
    const { key } = await createKey({ scopes: ["documents:*"] });
    const denied = await target.unkey.keys.verifyKey({ key, permissions: "documents:read AND billing:read" });
    expect(denied.data).toMatchObject({ valid: false, code: "INSUFFICIENT_PERMISSIONS" });
    expect(denied.data.permissions).toEqual(["documents:*"]);
    const allowed = await target.unkey.keys.verifyKey({
      key,
      permissions: "billing:read OR documents:write",
    });
    expect(allowed.data.code).toBe("VALID");
  });

  it("answers 400 with errors[] for a malformed permission query", async () => {
    const { key } = await createKey();
    const error = await target.unkey.keys.verifyKey({ key, permissions: "a AND (b OR" }).catch((e) => e);
    expect(error).toBeInstanceOf(BadRequestErrorResponse);
    expect((error as BadRequestErrorResponse).data$.error.errors).toEqual([
      expect.objectContaining({ location: "body/permissions" }),
    ]);
  });

  it("spends credits.cost of the quota and answers USAGE_EXCEEDED when too little is left", async () => {
    const { key } = await createKey({ quota: { remaining: 5 } });
    expect((await target.unkey.keys.verifyKey({ key, credits: { cost: 2 } })).data).toMatchObject({
      valid: true,
      code: "VALID",
      credits: 3,
    });
    expect((await target.unkey.keys.verifyKey({ key })).data.credits).toBe(2);
    const exceeded = await target.unkey.keys.verifyKey({ key, credits: { cost: 3 } });
    expect(exceeded.data).toMatchObject({ valid: false, code: "USAGE_EXCEEDED", credits: 2 });
  });

  it("leaves credits out for a key without a quota", async () => {
    const { key } = await createKey();
    const { data } = await target.unkey.keys.verifyKey({ key, credits: { cost: 5 } });
    expect(data.code).toBe("VALID");
    expect(data).not.toHaveProperty("credits");
  });

  it("charges named rate limits and answers RATE_LIMITED with an absolute reset", async () => {
    const { key, keyId } = await createKey({
      rateLimits: [
        { name: "requests", limit: 2, windowMs: 60_000 },
        { name: "tokens", limit: 100, windowMs: 60_000 },
      ],
    });
    const first = await target.unkey.keys.verifyKey({ key, ratelimits: [{ name: "tokens", cost: 40 }] });
    expect(first.data.ratelimits).toEqual([
      {
        exceeded: false,
        id: unkeyRatelimitId(keyId, "tokens"),
        name: "tokens",
        limit: 100,
        duration: 60_000,
        reset: expect.any(Number),
        remaining: 60,
        autoApply: true,
      },
      expect.objectContaining({ name: "requests", remaining: 1, exceeded: false }),
    ]);
    const reset = first.data.ratelimits?.[0]?.reset ?? 0;
    expect(reset).toBeGreaterThan(target.t.clock.now());
    expect(reset).toBeLessThanOrEqual(target.t.clock.now() + 60_000);
    await target.unkey.keys.verifyKey({ key, ratelimits: [{ name: "tokens", cost: 1 }] });
    const limited = await target.unkey.keys.verifyKey({ key, ratelimits: [{ name: "tokens", cost: 1 }] });
    expect(limited.data).toMatchObject({ valid: false, code: "RATE_LIMITED" });
    expect(limited.data.ratelimits?.find((l) => l.name === "requests")?.exceeded).toBe(true);
    expect(limited.data.ratelimits?.find((l) => l.name === "tokens")?.exceeded).toBe(false);
  });

  it("overrides a limit's limit and duration for one call (another window, another count)", async () => {
    const { key } = await createKey({ rateLimits: [{ name: "requests", limit: 1, windowMs: 60_000 }] });
    expect((await target.unkey.keys.verifyKey({ key })).data.code).toBe("VALID");
    expect((await target.unkey.keys.verifyKey({ key })).data.code).toBe("RATE_LIMITED");
    const burst = await target.unkey.keys.verifyKey({
      key,
      ratelimits: [{ name: "requests", limit: 3, duration: 1_000 }],
    });
    expect(burst.data).toMatchObject({ valid: true, code: "VALID" });
    expect(burst.data.ratelimits).toEqual([
      expect.objectContaining({ name: "requests", limit: 3, duration: 1_000, remaining: 2, exceeded: false }),
    ]);
  });

  it("answers 400 for a rate limit the key does not have or an override out of a key limit's bounds", async () => {
    const { key } = await createKey({ rateLimits: [{ name: "requests", limit: 2, windowMs: 60_000 }] });
    const cases = [
      { ratelimits: [{ name: "nope" }], location: "body/ratelimits/0/name" },
      { ratelimits: [{ name: "requests", limit: 10, duration: 10 }], location: "body/ratelimits/0/duration" },
    ];
    for (const { ratelimits, location } of cases) {
      const error = await rejection(
        target.unkey.keys.verifyKey({ key, ratelimits }),
        BadRequestErrorResponse,
      );
      expect(error.data$.error.errors.map((e) => e.location)).toEqual([location]);
    }
  });

  it("answers DISABLED, EXPIRED and (for a revoked key) NOT_FOUND without key details", async () => {
    const disabled = await createKey({ enabled: false });
    expect((await target.unkey.keys.verifyKey({ key: disabled.key })).data).toMatchObject({
      valid: false,
      code: "DISABLED",
      keyId: disabled.keyId,
    });

    const expiring = await createKey({ expiresAt: target.t.clock.now() + 1_000 });
    expect((await target.unkey.keys.verifyKey({ key: expiring.key })).data.code).toBe("VALID");
    target.t.clock.advance(1_000);
    expect((await target.unkey.keys.verifyKey({ key: expiring.key })).data).toMatchObject({
      valid: false,
      code: "EXPIRED",
    });

    const revoked = await createKey({ name: "gone" });
    await target.t.instance.keys.revokeKey(root, revoked.keyId, "leaked");
    expect((await target.unkey.keys.verifyKey({ key: revoked.key })).data).toEqual({
      valid: false,
      code: "NOT_FOUND",
    });
    expect((await target.unkey.keys.verifyKey({ key: "kw_not_a_key" })).data).toEqual({
      valid: false,
      code: "NOT_FOUND",
    });
  });

  it("checks the IP allowlist against the caller's address: FORBIDDEN when it is not listed", async () => {
    const outside = await createKey({ ipAllowlist: ["10.0.0.0/8"] });
    expect((await target.unkey.keys.verifyKey({ key: outside.key })).data).toMatchObject({
      valid: false,
      code: "FORBIDDEN",
    });
    const inside = await createKey({ ipAllowlist: ["127.0.0.1"] });
    expect((await target.unkey.keys.verifyKey({ key: inside.key })).data.code).toBe("VALID");
  });

  it("refuses a missing or wrong root key (401) and a token without keys:verify (403)", async () => {
    const { key } = await createKey();
    await expect(target.clientWith("wrong").keys.verifyKey({ key })).rejects.toBeInstanceOf(
      UnauthorizedErrorResponse,
    );
    const noAuth = await fetch(`${target.baseUrl}/v2/keys.verifyKey`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key }),
    });
    expect(noAuth.status).toBe(401);
    const reader = await mintToken(target.t, ["keys:read"]);
    await expect(target.clientWith(reader.token).keys.verifyKey({ key })).rejects.toBeInstanceOf(
      ForbiddenErrorResponse,
    );
  });
});

describe("POST /v2/keys.getKey", () => {
  it("answers the key in Unkey's shape, optional fields left out", async () => {
    const { keyId } = await createKey({
      name: "full",
      ownerId: "user_9",
      meta: { tier: 2 },
      scopes: ["a", "b:*"],
      expiresAt: target.t.clock.now() + 86_400_000,
      quota: { remaining: 10, refill: { interval: "month", amount: 50 } },
      rateLimits: [{ name: "requests", limit: 5, windowMs: 1_000 }],
    });
    const { data } = await target.unkey.keys.getKey({ keyId });
    expect(data).toEqual({
      keyId,
      start: expect.stringMatching(/^kw_/),
      enabled: true,
      createdAt: target.t.clock.now(),
      updatedAt: target.t.clock.now(),
      name: "full",
      meta: { tier: 2 },
      expires: target.t.clock.now() + 86_400_000,
      permissions: ["a", "b:*"],
      credits: { remaining: 10, refill: { interval: "monthly", amount: 50 } },
      identity: { id: expect.stringMatching(/^id_/), externalId: "user_9" },
      ratelimits: [
        {
          id: unkeyRatelimitId(keyId, "requests"),
          name: "requests",
          limit: 5,
          duration: 1_000,
          autoApply: true,
        },
      ],
    });

    const bare = await createKey();
    const { data: minimal } = await target.unkey.keys.getKey({ keyId: bare.keyId });
    expect(Object.keys(minimal).sort()).toEqual([
      "createdAt",
      "enabled",
      "keyId",
      "permissions",
      "start",
      "updatedAt",
    ]);
  });

  it("answers 404 for an unknown key", async () => {
    await expect(target.unkey.keys.getKey({ keyId: "key_missing" })).rejects.toBeInstanceOf(
      NotFoundErrorResponse,
    );
  });
});

describe("decrypt: true (recoverable keys)", () => {
  /** A project whose first key has no copy (made before recoverableKeys was on) and whose later keys have one. */
  async function recoverableProject(name: string) {
    const project = await target.t.instance.projects.createProject(root, { name });
    const plain = await target.t.instance.keys.createKey(root, { projectId: project.id });
    await target.t.instance.projects.updateProject(root, project.id, { recoverableKeys: true });
    return { apiId: project.id, plain: { key: plain.key, keyId: plain.record.id } };
  }

  it("getKey answers the plaintext of a key created with recoverable: true, audited; none for a key without a copy", async () => {
    const { apiId: api, plain } = await recoverableProject("recoverable-get");
    const { key, keyId } = (await target.unkey.keys.createKey({ apiId: api, recoverable: true })).data;
    expect((await target.unkey.keys.getKey({ keyId, decrypt: true })).data.plaintext).toBe(key);
    expect((await target.unkey.keys.getKey({ keyId })).data).not.toHaveProperty("plaintext");
    expect((await target.unkey.keys.getKey({ keyId: plain.keyId, decrypt: true })).data).not.toHaveProperty(
      "plaintext",
    );
    const audit = await target.t.request("GET", `/v1/audit?action=key.revealed&targetId=${keyId}`);
    expect(audit.json().items).toHaveLength(1);
    expect(audit.body).not.toContain(key);
    // decrypt needs keys:reveal (Unkey's decrypt_key) besides keys:read.
    const reader = target.clientWith((await mintToken(target.t, ["keys:read"])).token);
    await rejection(reader.keys.getKey({ keyId, decrypt: true }), ForbiddenErrorResponse);
    await rejection(reader.apis.listKeys({ apiId: api, decrypt: true }), ForbiddenErrorResponse);
  });

  it("listKeys reveals each key of the page that has a copy, no-store, and 429s past the token's reveal limit", async () => {
    const { apiId: api, plain } = await recoverableProject("recoverable-list");
    const kept: string[] = [];
    for (let i = 0; i < 2; i++) {
      target.t.clock.advance(1);
      kept.push((await target.t.instance.keys.createKey(root, { projectId: api })).key);
    }
    const { token } = await mintToken(target.t, ["keys:read", "keys:reveal"]);
    const list = () =>
      fetch(`${target.baseUrl}/v2/apis.listKeys`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ apiId: api, decrypt: true }),
      });
    const res = await list();
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const { data } = (await res.json()) as { data: Array<{ keyId: string; plaintext?: string }> };
    expect(data.map((k) => k.plaintext)).toEqual([undefined, ...kept]);
    expect(data[0]?.keyId).toBe(plain.keyId);
    // Two reveals a page; the limit is REVEAL_LIMIT per token and minute.
    expect((await list()).status).toBe(200);
    const limited = await list();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("cache-control")).toBe("no-store");
    expect(((await limited.json()) as { error: { type: string } }).error.type).toMatch(/too_many_reveals/);
  });
});

describe("POST /v2/keys.whoami", () => {
  it("finds a key by its plaintext, revoked included, without spending anything", async () => {
    const { key, keyId } = await createKey({ name: "who", quota: { remaining: 1 } });
    const { data } = await target.unkey.keys.whoami({ key });
    expect(data).toMatchObject({ keyId, name: "who", credits: { remaining: 1 } });
    expect((await target.unkey.keys.verifyKey({ key })).data.code).toBe("VALID");
    await target.t.instance.keys.revokeKey(root, keyId, null);
    expect((await target.unkey.keys.whoami({ key })).data.keyId).toBe(keyId);
  });

  it("answers 404 for an unknown key and 403 for a token without keys:read", async () => {
    await expect(target.unkey.keys.whoami({ key: "kw_unknown" })).rejects.toBeInstanceOf(
      NotFoundErrorResponse,
    );
    const { key } = await createKey();
    const verifier = await mintToken(target.t, ["keys:verify"]);
    await expect(target.clientWith(verifier.token).keys.whoami({ key })).rejects.toBeInstanceOf(
      ForbiddenErrorResponse,
    );
  });
});

describe("POST /v2/apis.listKeys", () => {
  it("pages through an API's keys with page.next() until it answers null, and filters by externalId", async () => {
    const project = await target.t.instance.projects.createProject(root, { name: "paged" });
    const ids: string[] = [];
    for (const ownerId of ["alice", "bob", "alice"]) {
      const { record } = await target.t.instance.keys.createKey(root, { projectId: project.id, ownerId });
      ids.push(record.id);
      // Ids order by creation time; keys made in the same millisecond would order at random.
      target.t.clock.advance(1);
    }
    const first = await target.unkey.apis.listKeys({ apiId: project.id, limit: 1 });
    const seen: string[] = [];
    const pages: Array<{ hasMore: boolean; cursor?: string }> = [];
    let page: Pick<typeof first, "result" | "next"> | null = first;
    while (page !== null) {
      seen.push(...page.result.data.map((k) => k.keyId));
      pages.push(page.result.pagination);
      page = await page.next();
    }
    expect(seen).toEqual(ids);
    expect(pages.map((p) => p.hasMore)).toEqual([true, true, false]);
    expect(pages[2]).not.toHaveProperty("cursor");

    const alice = await target.unkey.apis.listKeys({ apiId: project.id, externalId: "alice" });
    expect(alice.result.data.map((k) => k.keyId)).toEqual([ids[0], ids[2]]);
    expect(alice.result.data[0]?.identity?.externalId).toBe("alice");
    expect(alice.result.pagination).toEqual({ hasMore: false });
  });

  it("answers 404 for an unknown API and 400 for a bad cursor", async () => {
    await expect(target.unkey.apis.listKeys({ apiId: "proj_missing" })).rejects.toBeInstanceOf(
      NotFoundErrorResponse,
    );
    await expect(target.unkey.apis.listKeys({ apiId, cursor: "not*a*cursor" })).rejects.toBeInstanceOf(
      BadRequestErrorResponse,
    );
  });
});
