import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken, verifyKey, walkPages } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

interface Entry {
  id: string;
  seq: number;
  at: string;
  actor: { type: string; id: string; name: string | null };
  action: string;
  target: { type: string; id: string } | null;
  projectId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
  outcome: string;
  diff: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

interface ListPage {
  items: Entry[];
  nextCursor: string | null;
  total?: number;
}

/** What one request of the busy sequence should have recorded. */
interface Expected {
  action: string;
  targetId: string;
  requestId: string;
  at: string;
  projectId: string | null;
}

const USER_AGENT = "audit-route-test/1.0";
let t: TestApp;
let actor: { id: string; token: string; name: string };
let projectId: string;
let keyId: string;
const expected: Expected[] = [];
/** The clock when the busy sequence began and after it ended. */
let startedAt: number;
let endedAt: number;

/** Sends a request as the acting token, with our own User-Agent. */
async function send(
  method: "GET" | "POST" | "PATCH" | "DELETE" | "PUT",
  url: string,
  body?: unknown,
): Promise<LightMyRequestResponse> {
  const res = await t.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${actor.token}`,
      "user-agent": USER_AGENT,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  expect(res.statusCode, `${method} ${url}: ${res.body.slice(0, 300)}`).toBeLessThan(300);
  return res;
}

/** Sends a change and remembers what it should record; returns the response body. */
async function change(
  action: string,
  target: (body: Record<string, unknown>) => string,
  request: [method: "POST" | "PATCH" | "DELETE" | "PUT", url: string, body?: unknown],
  scope: string | null,
): Promise<Record<string, unknown>> {
  const res = await send(...request);
  const body = res.body === "" ? {} : (res.json() as Record<string, unknown>);
  expected.push({
    action,
    targetId: target(body),
    requestId: String(res.headers["x-request-id"]),
    at: new Date(t.clock.now()).toISOString(),
    projectId: scope,
  });
  t.clock.advance(1_000);
  return body;
}

async function list(query: string): Promise<ListPage> {
  const res = await t.request("GET", `/v1/audit${query}`);
  expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
  return res.json() as ListPage;
}

beforeAll(async () => {
  t = await createTestApp();
  const minted = await mintToken(t, ["*"], { name: "audit actor" });
  actor = { id: minted.id, token: minted.token, name: "audit actor" };
  t.clock.advance(60_000);
  startedAt = t.clock.now();

  const project = await change(
    "project.created",
    (b) => String(b.id),
    ["POST", "/v1/projects", { name: "audited", keyPrefix: "aud" }],
    null,
  );
  projectId = String(project.id);
  expected[0] = { ...(expected[0] as Expected), projectId };
  await change(
    "project.updated",
    () => projectId,
    ["PATCH", `/v1/projects/${projectId}`, { name: "audited 2" }],
    projectId,
  );
  const key = await change(
    "key.created",
    (b) => String(b.id),
    ["POST", "/v1/keys", { projectId, name: "k1" }],
    projectId,
  );
  keyId = String(key.id);
  await change("key.updated", () => keyId, ["PATCH", `/v1/keys/${keyId}`, { name: "k1 renamed" }], projectId);
  const rotated = await change(
    "key.rotated",
    () => keyId,
    ["POST", `/v1/keys/${keyId}/rotate`, {}],
    projectId,
  );
  await change(
    "key.revoked",
    (b) => String(b.id),
    ["POST", `/v1/keys/${String(rotated.id)}/revoke`, { reason: "leaked" }],
    projectId,
  );
  const token = await change(
    "token.created",
    (b) => String(b.id),
    ["POST", "/v1/tokens", { name: "temp", permissions: ["keys:read"] }],
    null,
  );
  await change(
    "token.revoked",
    () => String(token.id),
    ["POST", `/v1/tokens/${String(token.id)}/revoke`],
    null,
  );
  const webhook = await change(
    "webhook.created",
    (b) => String(b.id),
    ["POST", "/v1/webhooks", { projectId, url: "https://hooks.example.com/audit", events: ["*"] }],
    projectId,
  );
  await change(
    "webhook.updated",
    () => String(webhook.id),
    ["PATCH", `/v1/webhooks/${String(webhook.id)}`, { enabled: false }],
    projectId,
  );
  await change(
    "webhook.deleted",
    () => String(webhook.id),
    ["DELETE", `/v1/webhooks/${String(webhook.id)}`],
    projectId,
  );
  await change(
    "ratelimit_override.set",
    () => "login/user_42",
    [
      "PUT",
      "/v1/ratelimit/overrides",
      { namespace: "login", identifier: "user_42", limit: 5, windowMs: 60_000 },
    ],
    null,
  );
  await change(
    "ratelimit_override.deleted",
    () => "login/user_42",
    ["DELETE", "/v1/ratelimit/overrides?namespace=login&identifier=user_42"],
    null,
  );

  const canary = await send("POST", "/v1/keys", { projectId, canary: true });
  t.clock.advance(1_000);
  await verifyKey(t, (canary.json() as { key: string }).key);
  await t.instance.anomalies.flush();
  const alerts = (await t.request("GET", `/v1/alerts?projectId=${projectId}`)).json() as {
    items: Array<{ id: string }>;
  };
  const alertId = alerts.items[0]?.id ?? "";
  t.clock.advance(1_000);
  await change("alert.acknowledged", () => alertId, ["POST", `/v1/alerts/${alertId}/ack`], projectId);
  endedAt = t.clock.now();
});
afterAll(async () => {
  await t.close();
});

describe("GET /v1/audit", () => {
  it("records every change with its actor, source address, user agent, request id, time and a diff", async () => {
    for (const want of expected) {
      const page = await list(`?action=${want.action}&targetId=${encodeURIComponent(want.targetId)}`);
      const entry = page.items.find((e) => e.requestId === want.requestId);
      expect(entry, `${want.action} of ${want.targetId}`).toBeDefined();
      expect(entry, want.action).toMatchObject({
        id: expect.stringMatching(/^aud_/),
        at: want.at,
        actor: { type: "token", id: actor.id, name: actor.name },
        action: want.action,
        target: { id: want.targetId },
        projectId: want.projectId,
        sourceIp: "127.0.0.1",
        userAgent: USER_AGENT,
        requestId: want.requestId,
        outcome: "success",
        prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(entry?.diff, want.action).toBeTypeOf("object");
      expect(Object.keys(entry?.diff ?? {}).length, `${want.action} has a diff`).toBeGreaterThan(0);
    }
  });

  it("shows what changed as {from, to} and what was created as its fields", async () => {
    const [updated] = (await list(`?action=key.updated&targetId=${keyId}`)).items;
    expect(updated?.diff).toEqual({ name: { from: "k1", to: "k1 renamed" } });
    const [renamed] = (await list(`?action=project.updated&targetId=${projectId}`)).items;
    expect(renamed?.diff).toMatchObject({ name: { from: "audited", to: "audited 2" } });
    const [created] = (await list(`?action=project.created&targetId=${projectId}`)).items;
    expect(created?.diff).toMatchObject({ name: "audited", keyPrefix: "aud" });
  });

  it("records what Keyward does by itself under a system actor", async () => {
    const [raised] = (await list(`?action=alert.raised&projectId=${projectId}`)).items;
    expect(raised).toMatchObject({
      actor: { type: "system", name: "anomaly detection" },
      target: { type: "alert" },
      sourceIp: null,
      requestId: null,
    });
  });

  it("filters by actor, action, target, project and time range (to exclusive)", async () => {
    const byActor = await list(`?actorId=${actor.id}&limit=1000&count=true`);
    expect(byActor.items.every((e) => e.actor.id === actor.id)).toBe(true);
    expect(byActor.total).toBe(byActor.items.length);
    expect(byActor.items.map((e) => e.requestId)).toEqual(
      expect.arrayContaining(expected.map((e) => e.requestId)),
    );
    const byProject = await list(`?projectId=${projectId}&limit=1000`);
    expect(byProject.items.length).toBeGreaterThan(5);
    expect(byProject.items.every((e) => e.projectId === projectId)).toBe(true);
    const byAction = await list("?action=token.revoked");
    expect(byAction.items.map((e) => e.action)).toEqual(["token.revoked"]);

    const first = expected[0] as Expected;
    const second = expected[1] as Expected;
    const exact = await list(`?from=${first.at}&to=${second.at}&actorId=${actor.id}`);
    expect(exact.items.map((e) => e.requestId)).toEqual([first.requestId]);
    const window = await list(
      `?from=${new Date(startedAt).toISOString()}&to=${new Date(endedAt + 1).toISOString()}&actorId=${actor.id}&limit=1000`,
    );
    expect(window.items.map((e) => e.id)).toEqual(byActor.items.map((e) => e.id));
    const none = await list(`?to=${new Date(startedAt).toISOString()}&actorId=${actor.id}`);
    expect(none.items).toEqual([]);
  });

  it("pages with nextCursor newest first and oldest first, each entry once, in seq order", async () => {
    const everything = await list("?limit=1000&count=true");
    const seqs = everything.items.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(everything.total).toBe(everything.items.length);
    const newest = (await walkPages(t, "/v1/audit?limit=4")).flat();
    expect(newest).toEqual(everything.items.map((e) => e.id));
    const oldestPages = await walkPages(t, "/v1/audit?limit=4&order=oldest");
    expect(oldestPages.flat()).toEqual(everything.items.map((e) => e.id).reverse());
    expect(oldestPages.length).toBe(Math.ceil(everything.items.length / 4));
    const filtered = (await walkPages(t, `/v1/audit?limit=2&order=oldest&projectId=${projectId}`)).flat();
    expect(filtered).toEqual(
      (await list(`?projectId=${projectId}&order=oldest&limit=1000`)).items.map((e) => e.id),
    );
  });

  it("links every entry to the one before it", async () => {
    const oldest = (await list("?order=oldest&limit=1000")).items;
    expect(oldest[0]?.prevHash).toBe("0".repeat(64));
    for (let i = 1; i < oldest.length; i += 1) expect(oldest[i]?.prevHash).toBe(oldest[i - 1]?.hash);
  });
});

describe("audit verification and checkpoints", () => {
  it("GET /v1/audit/verify says every entry is intact", async () => {
    const total = (await list("?count=true&limit=1")).total;
    const res = await t.request("GET", "/v1/audit/verify");
    expect(res.statusCode).toBe(200);
    const head = (await list("?limit=1")).items[0];
    expect(res.json()).toEqual({
      ok: true,
      entries: total,
      checkpoints: expect.any(Number),
      head: { seq: head?.seq, hash: head?.hash },
    });
  });

  it("signs a checkpoint on demand, exports it with its key, and verifies the log against the export", async () => {
    const head = (await list("?limit=1")).items[0] as Entry;
    const created = await t.request("POST", "/v1/audit/checkpoints");
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toEqual({
      seq: head.seq,
      hash: head.hash,
      at: new Date(t.clock.now()).toISOString(),
      keyId: expect.stringMatching(/^ed25519:[0-9a-f]{16}$/),
      signature: expect.any(String),
      kind: "on_demand",
    });
    // Asking again at the same head returns the same checkpoint.
    t.clock.advance(5);
    expect((await t.request("POST", "/v1/audit/checkpoints", {})).json()).toEqual(created.json());

    const exported = await t.request("GET", "/v1/audit/checkpoints");
    expect(exported.statusCode).toBe(200);
    const file = exported.json() as {
      publicKeys: Array<{ keyId: string; publicKey: string }>;
      checkpoints: Array<Record<string, unknown>>;
    };
    expect(file.publicKeys).toEqual([
      { keyId: created.json().keyId, publicKey: expect.stringContaining("BEGIN PUBLIC KEY") },
    ]);
    expect(file.checkpoints).toContainEqual(created.json());

    const verified = await t.request("POST", "/v1/audit/verify", file);
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json()).toMatchObject({ ok: true, checkpoints: file.checkpoints.length * 2 });
  });

  it("answers checkpoint_mismatch for a forged signature or a changed time in the exported file", async () => {
    const file = (await t.request("GET", "/v1/audit/checkpoints")).json() as {
      publicKeys: unknown[];
      checkpoints: Array<{ signature: string; at: string }>;
    };
    const genuine = file.checkpoints[0] as { signature: string; at: string };
    const flipped = Buffer.from(genuine.signature, "base64");
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    const forgeries = [
      { ...genuine, signature: flipped.toString("base64") },
      { ...genuine, at: new Date(Date.parse(genuine.at) + 1).toISOString() },
    ];
    for (const forged of forgeries) {
      const res = await t.request("POST", "/v1/audit/verify", { ...file, checkpoints: [forged] });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        ok: false,
        reason: "checkpoint_mismatch",
        firstBadEntry: null,
        detail: expect.stringContaining("signature"),
        head: { seq: expect.any(Number) },
      });
    }
  });
});
