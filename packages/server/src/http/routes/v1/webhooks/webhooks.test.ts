import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProject, expectProblem, walkPages } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
let defaultProjectId: string;
beforeAll(async () => {
  t = await createTestApp();
  const projects = await t.request("GET", "/v1/projects");
  const first = (projects.json() as { items: Array<{ id: string; name: string }> }).items.find(
    (p) => p.name === "default",
  );
  if (first === undefined) throw new Error("a fresh store has a default project");
  defaultProjectId = first.id;
});
afterAll(async () => {
  await t.close();
});

const URL_A = "https://hooks.example.com/a";
/** A valid secret of our own: whsec_ and the base64 of 32 bytes. */
const GIVEN_SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;

async function createWebhook(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await t.request("POST", "/v1/webhooks", { url: URL_A, events: ["*"], ...body });
  expect(res.statusCode, res.body.slice(0, 500)).toBe(201);
  return res.json() as Record<string, unknown>;
}

describe("POST /v1/webhooks", () => {
  it("returns a generated whsec_ secret once, and GET and list never show it again", async () => {
    const res = await t.request("POST", "/v1/webhooks", {
      url: URL_A,
      events: ["key.created", "key.revoked"],
      description: "billing",
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers["cache-control"]).toBe("no-store");
    const created = res.json();
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(created.secret.slice(6), "base64")).toHaveLength(32);
    expect(created).toEqual({
      secret: created.secret,
      id: expect.stringMatching(/^wh_[0-9A-Za-z]{22}$/),
      projectId: defaultProjectId,
      url: URL_A,
      description: "billing",
      events: ["key.created", "key.revoked"],
      enabled: true,
      createdAt: new Date(t.clock.now()).toISOString(),
      updatedAt: new Date(t.clock.now()).toISOString(),
    });

    const shown = await t.request("GET", `/v1/webhooks/${created.id}`);
    expect(shown.statusCode).toBe(200);
    const { secret, ...withoutSecret } = created;
    expect(shown.json()).toEqual(withoutSecret);
    const listed = await t.request("GET", "/v1/webhooks?limit=100");
    for (const res of [shown, listed]) {
      expect(res.body).not.toContain(secret);
      expect(res.body).not.toContain(secret.slice(6));
      expect(res.body).not.toContain('"secret"');
    }
  });

  it("generates a different secret for every webhook", async () => {
    const a = await createWebhook({});
    const b = await createWebhook({});
    expect(a.secret).not.toBe(b.secret);
  });

  it("accepts a secret of the caller's own and returns it as given", async () => {
    const created = await createWebhook({ secret: GIVEN_SECRET });
    expect(created.secret).toBe(GIVEN_SECRET);
  });

  it("stores the given project, the enabled flag and de-duplicated events; description defaults to null", async () => {
    const projectId = await createProject(t, { name: "hooks", keyPrefix: "hk" });
    const created = await createWebhook({
      projectId,
      events: ["key.rotated", "key.rotated", "key.expiring"],
      enabled: false,
    });
    expect(created).toMatchObject({
      projectId,
      events: ["key.rotated", "key.expiring"],
      enabled: false,
      description: null,
    });
  });

  it("accepts plain http to a loopback host and returns the normalized URL", async () => {
    const created = await createWebhook({ url: "http://LOCALHOST:8080/hook" });
    expect(created.url).toBe("http://localhost:8080/hook");
    expect((await createWebhook({ url: "http://127.0.0.1:9/x" })).url).toBe("http://127.0.0.1:9/x");
  });
});

describe("GET /v1/webhooks", () => {
  it("lists webhooks by project, in creation order, page by page", async () => {
    const projectId = await createProject(t, { name: "listed", keyPrefix: "ls" });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      // Ids order by creation millisecond; within one millisecond their order is random.
      t.clock.advance(1);
      ids.push(String((await createWebhook({ projectId, description: `#${i}` })).id));
    }
    const pages = await walkPages(t, `/v1/webhooks?projectId=${projectId}&limit=2`);
    expect(pages).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);

    const all = (await t.request("GET", "/v1/webhooks?limit=100")).json();
    const allIds = (all.items as Array<{ id: string }>).map((w) => w.id);
    expect(allIds).toEqual(expect.arrayContaining(ids));
    expect(allIds.length).toBeGreaterThan(ids.length);
  });

  it("lists nothing for a project without webhooks", async () => {
    const projectId = await createProject(t, { name: "empty", keyPrefix: "em" });
    const res = await t.request("GET", `/v1/webhooks?projectId=${projectId}`);
    expect(res.json()).toEqual({ items: [], nextCursor: null });
  });
});

describe("PATCH /v1/webhooks/{id}", () => {
  it("changes url, events, description and enabled, and only what it is given", async () => {
    const created = await createWebhook({ description: "before", events: ["key.created"] });
    t.clock.advance(1_000);
    const res = await t.request("PATCH", `/v1/webhooks/${created.id}`, {
      url: "https://hooks.example.com/b",
      events: ["key.revoked", "key.expired"],
      description: "after",
      enabled: false,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      id: created.id,
      projectId: created.projectId,
      url: "https://hooks.example.com/b",
      description: "after",
      events: ["key.revoked", "key.expired"],
      enabled: false,
      createdAt: created.createdAt,
      updatedAt: new Date(t.clock.now()).toISOString(),
    });
    expect(res.body).not.toContain(String(created.secret));

    const partial = await t.request("PATCH", `/v1/webhooks/${created.id}`, { enabled: true });
    expect(partial.json()).toMatchObject({
      url: "https://hooks.example.com/b",
      enabled: true,
      description: "after",
    });
    const cleared = await t.request("PATCH", `/v1/webhooks/${created.id}`, { description: null });
    expect(cleared.json()).toMatchObject({ description: null, events: ["key.revoked", "key.expired"] });
    expect((await t.request("GET", `/v1/webhooks/${created.id}`)).json()).toEqual(cleared.json());
  });
});

describe("DELETE /v1/webhooks/{id}", () => {
  it("answers 204 with no body, then the webhook and its deliveries are gone", async () => {
    const created = await createWebhook({});
    const key = await t.request("POST", "/v1/keys", {});
    expect(key.statusCode).toBe(201);
    const id = String(created.id);
    expect(await t.instance.stores.webhooks.listDeliveries(id, { limit: 10 })).toHaveLength(1);

    const res = await t.request("DELETE", `/v1/webhooks/${id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe("");
    expectProblem(await t.request("GET", `/v1/webhooks/${id}`), 404, "NOT_FOUND");
    expectProblem(await t.request("GET", `/v1/webhooks/${id}/deliveries`), 404, "NOT_FOUND");
    expectProblem(await t.request("DELETE", `/v1/webhooks/${id}`), 404, "NOT_FOUND");
    expect(await t.instance.stores.webhooks.listDeliveries(id, { limit: 10 })).toEqual([]);
    const listed = (await t.request("GET", "/v1/webhooks?limit=100")).json();
    expect((listed.items as Array<{ id: string }>).map((w) => w.id)).not.toContain(id);
  });
});
