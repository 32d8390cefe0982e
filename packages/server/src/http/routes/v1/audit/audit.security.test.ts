import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createProject,
  expectProblem,
  mintToken,
  verifyKey,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";
import { openSqliteStores } from "../../../../store/sqlite-stores.js";

interface Entry {
  projectId: string | null;
  action: string;
}

let t: TestApp;
let dir: string;
let projectA: string;
let projectB: string;

beforeAll(async () => {
  // A file, not :memory:, so the test can read the digests and sealed secrets the store holds.
  dir = mkdtempSync(join(tmpdir(), "keyward-audit-security-"));
  t = await createTestApp({ stores: openSqliteStores({ path: join(dir, "keyward.db") }) });
  projectA = await createProject(t, { name: "a", keyPrefix: "pa" });
  projectB = await createProject(t, { name: "b", keyPrefix: "pb" });
  for (const projectId of [projectA, projectB])
    await createKey(t, { projectId, name: `key of ${projectId}` });
  await mintToken(t, ["keys:read"], { name: "instance-wide" });
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends a request with the root token, asserts a 2xx and returns the JSON body (or null for none). */
async function ok(method: "POST" | "PATCH" | "DELETE", url: string, body?: unknown): Promise<unknown> {
  const res = await t.request(method, url, body);
  expect(res.statusCode, `${method} ${url}: ${res.body.slice(0, 300)}`).toBeLessThan(300);
  return res.body === "" ? null : res.json();
}

const ROUTES = [
  ["GET", "/v1/audit", undefined],
  ["GET", "/v1/audit/verify", undefined],
  ["POST", "/v1/audit/verify", { publicKeys: [], checkpoints: [] }],
  ["GET", "/v1/audit/checkpoints", undefined],
  ["POST", "/v1/audit/checkpoints", undefined],
] as const;

describe("audit permissions", () => {
  it("needs audit:read to list, verify and export, audit:write to sign a checkpoint, and a token at all", async () => {
    const keysOnly = (await mintToken(t, ["keys:*"])).token;
    const reader = (await mintToken(t, ["audit:read"])).token;
    const writer = (await mintToken(t, ["audit:write"])).token;
    for (const [method, url, body] of ROUTES) {
      expectProblem(await t.request(method, url, body, keysOnly), 403, "FORBIDDEN");
      expectProblem(await t.request(method, url, body, null), 401, "UNAUTHORIZED");
      const asReader = await t.request(method, url, body, reader);
      const asWriter = await t.request(method, url, body, writer);
      if (method === "POST" && url === "/v1/audit/checkpoints") {
        expectProblem(asReader, 403, "FORBIDDEN");
        expect(asWriter.statusCode, asWriter.body).toBe(201);
      } else {
        expect(asReader.statusCode, `${method} ${url}: ${asReader.body}`).toBe(200);
        expectProblem(asWriter, 403, "FORBIDDEN");
      }
    }
  });

  it("shows a project-limited token only its projects' entries, and refuses it the whole-log routes", async () => {
    const limited = (await mintToken(t, ["audit:*"], { projectIds: [projectA] })).token;
    const mine = (await t.request("GET", "/v1/audit?limit=1000", undefined, limited)).json() as {
      items: Entry[];
    };
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((e) => e.projectId === projectA)).toBe(true);
    const all = (await t.request("GET", "/v1/audit?limit=1000")).json() as { items: Entry[] };
    expect(mine.items).toEqual(all.items.filter((e) => e.projectId === projectA));

    const counted = await t.request("GET", `/v1/audit?projectId=${projectB}&count=true`, undefined, limited);
    expect(counted.json()).toEqual({ items: [], nextCursor: null, total: 0 });
    for (const [method, url, body] of ROUTES.slice(1)) {
      const res = await t.request(method, url, body, limited);
      expect(expectProblem(res, 403, "FORBIDDEN").detail, `${method} ${url}`).toMatch(/every project/);
    }
  });
});

describe("refused requests", () => {
  it("records a 403 as a failed admin action: who, which route, which permission was missing", async () => {
    const minted = await mintToken(t, ["keys:read"], { name: "read only" });
    const refused = await t.app.inject({
      method: "POST",
      url: "/v1/keys",
      headers: {
        authorization: `Bearer ${minted.token}`,
        "content-type": "application/json",
        "user-agent": "refused-client/2.0",
      },
      payload: JSON.stringify({ name: "not allowed" }),
    });
    expectProblem(refused, 403, "FORBIDDEN");
    const { items } = (await t.request("GET", "/v1/audit?action=request.refused&limit=1")).json() as {
      items: Record<string, unknown>[];
    };
    expect(items[0]).toMatchObject({
      actor: { type: "token", id: minted.id, name: "read only" },
      action: "request.refused",
      target: { type: "route", id: "POST /v1/keys" },
      outcome: "failure",
      userAgent: "refused-client/2.0",
      requestId: refused.headers["x-request-id"],
      diff: { code: "FORBIDDEN", permission: "keys:create" },
    });
    // A caller with no valid token is not an actor: a 401 writes nothing (it would let anyone fill the log).
    const before = (await t.request("GET", "/v1/audit?count=true&limit=1")).json().total;
    await t.request("POST", "/v1/keys", {}, "kw_not_a_token");
    expect((await t.request("GET", "/v1/audit?count=true&limit=1")).json().total).toBe(before);
  });
});

describe("audit redaction", () => {
  it("never records a key, a key's start, a token, a webhook secret, a digest or a sealed value", async () => {
    const secrets: string[] = [t.rootToken];
    const projectId = await createProject(t, { name: "busy", keyPrefix: "busy" });
    for (let i = 0; i < 3; i += 1) {
      const key = await createKey(t, {
        projectId,
        name: `busy ${i}`,
        meta: { plan: "pro" },
        scopes: ["a:read"],
        rateLimits: [{ name: "requests", limit: 10, windowMs: 60_000 }],
        quota: { remaining: 100 },
      });
      secrets.push(key.key, String(key.start));
      await verifyKey(t, key.key);
      await verifyKey(t, `${key.key.slice(0, -4)}AAAA`);
      await ok("PATCH", `/v1/keys/${key.id}`, { name: `renamed ${i}`, meta: { plan: "team" } });
      await ok("POST", `/v1/keys/${key.id}/quota`, { set: 5 });
      const fresh = (await ok("POST", `/v1/keys/${key.id}/rotate`, {})) as {
        key: string;
        start: string;
        id: string;
      };
      secrets.push(fresh.key, fresh.start);
      await ok("POST", `/v1/keys/${fresh.id}/revoke`, { reason: "busy" });
      await verifyKey(t, fresh.key);
    }
    const canary = await createKey(t, { projectId, canary: true });
    secrets.push(canary.key, String(canary.start));
    await verifyKey(t, canary.key);
    await t.instance.anomalies.flush();
    for (const permissions of [["keys:read"], ["*"]]) {
      const token = await mintToken(t, permissions, { projectIds: [projectId] });
      secrets.push(token.token, String(token.start));
      await ok("POST", `/v1/tokens/${token.id}/revoke`);
    }
    const given = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
    for (const secret of [given, undefined]) {
      const res = await t.request("POST", "/v1/webhooks", {
        projectId,
        url: "https://hooks.example.com/busy",
        events: ["*"],
        ...(secret === undefined ? {} : { secret }),
      });
      expect(res.statusCode, res.body).toBe(201);
      const webhook = res.json() as { id: string; secret: string };
      secrets.push(webhook.secret, webhook.secret.slice("whsec_".length));
      await ok("PATCH", `/v1/webhooks/${webhook.id}`, { description: "changed" });
      await ok("DELETE", `/v1/webhooks/${webhook.id}`);
    }

    const db = new Database(join(dir, "keyward.db"), { readonly: true });
    try {
      const blobs = [
        ...db.prepare("SELECT digest FROM keys").all(),
        ...db.prepare("SELECT digest FROM tokens").all(),
      ].map((row) => (row as { digest: Buffer }).digest);
      expect(blobs.length).toBeGreaterThan(10);
      for (const digest of blobs) {
        secrets.push(digest.toString("hex"), digest.toString("base64"), digest.toString("base64url"));
      }
      const sealed = db.prepare("SELECT value FROM instance_settings").all() as Array<{ value: string }>;
      for (const row of sealed) if (row.value.length > 40) secrets.push(row.value);
    } finally {
      db.close();
    }

    const log = (await t.request("GET", "/v1/audit?limit=1000&order=oldest")).body;
    const entries = (JSON.parse(log) as { items: Entry[] }).items;
    const actions = new Set(entries.map((e) => e.action));
    for (const action of ["key.created", "key.updated", "key.rotated", "key.revoked", "token.created"]) {
      expect(actions, action).toContain(action);
    }
    for (const action of ["webhook.created", "webhook.deleted", "alert.raised", "key.quota_adjusted"]) {
      expect(actions, action).toContain(action);
    }
    // The search itself works: the ids of what was audited are there.
    expect(log).toContain(canary.id);
    const exported = (await t.request("GET", "/v1/audit/checkpoints")).body;
    for (const secret of secrets) {
      expect(secret.length, "a secret long enough to be told apart").toBeGreaterThanOrEqual(6);
      expect(log.includes(secret), `the log holds ${secret.slice(0, 6)}…`).toBe(false);
      expect(exported.includes(secret)).toBe(false);
    }
  });
});
