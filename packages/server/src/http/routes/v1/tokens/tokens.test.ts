import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProject, mintToken, walkPages } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
let rootId: string;
beforeAll(async () => {
  t = await createTestApp();
  const list = await t.request("GET", "/v1/tokens?limit=100");
  rootId =
    (list.json().items as Array<{ id: string; name: string }>).find((x) => x.name === "root")?.id ?? "";
});
afterAll(async () => {
  await t.close();
});

const iso = (ms: number): string => new Date(ms).toISOString();

describe("POST /v1/tokens", () => {
  it("returns the plaintext token once with its record", async () => {
    const projectId = await createProject(t);
    const res = await t.request("POST", "/v1/tokens", {
      name: "ci-deployer",
      permissions: ["keys:create", "keys:read", "keys:read"],
      projectIds: [projectId, projectId],
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      token: expect.stringMatching(/^kwr_[0-9A-Za-z]{49}$/),
      id: expect.stringMatching(/^tok_[0-9A-Za-z]{22}$/),
      name: "ci-deployer",
      permissions: ["keys:create", "keys:read"],
      projectIds: [projectId],
      start: body.token.slice(0, 8),
      createdBy: rootId,
      createdAt: iso(t.clock.now()),
      revokedAt: null,
      lastUsedAt: null,
    });
  });

  it("makes a token that works at once for what it holds, and only that", async () => {
    const minted = await mintToken(t, ["keys:create", "keys:verify"]);
    const created = await t.request("POST", "/v1/keys", { name: "by new token" }, minted.token);
    expect(created.statusCode, created.body).toBe(201);
    const verified = await t.request("POST", "/v1/keys/verify", { key: created.json().key }, minted.token);
    expect(verified.json()).toMatchObject({ valid: true });
    expect((await t.request("GET", "/v1/keys", undefined, minted.token)).statusCode).toBe(403);
  });

  it("lets a keys:* token do every keys action", async () => {
    const minted = await mintToken(t, ["keys:*"]);
    const created = await t.request("POST", "/v1/keys", {}, minted.token);
    const id = created.json().id;
    expect((await t.request("GET", `/v1/keys/${id}`, undefined, minted.token)).statusCode).toBe(200);
    expect((await t.request("PATCH", `/v1/keys/${id}`, { name: "n" }, minted.token)).statusCode).toBe(200);
    expect((await t.request("POST", `/v1/keys/${id}/revoke`, {}, minted.token)).statusCode).toBe(200);
    expect((await t.request("GET", "/v1/projects", undefined, minted.token)).statusCode).toBe(403);
  });

  it("lets a token mint a narrower token, recorded as created by it", async () => {
    const parent = await mintToken(t, ["tokens:write", "keys:*"]);
    const child = await mintToken(t, ["keys:read"], { as: parent.token });
    expect(child).toMatchObject({ createdBy: parent.id, permissions: ["keys:read"], projectIds: null });
    expect((await t.request("GET", "/v1/keys", undefined, child.token)).statusCode).toBe(200);
  });
});

describe("GET /v1/tokens", () => {
  it("lists tokens without their plaintext, the root token included", async () => {
    const minted = await mintToken(t, ["keys:read"], { name: "listed" });
    const res = await t.request("GET", "/v1/tokens?limit=100");
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<Record<string, unknown>>;
    expect(items).toContainEqual(
      expect.objectContaining({ id: minted.id, name: "listed", start: minted.start }),
    );
    expect(items).toContainEqual(expect.objectContaining({ id: rootId, name: "root", permissions: ["*"] }));
    for (const item of items) expect(item).not.toHaveProperty("token");
    expect(res.body).not.toContain(minted.token);
    expect(res.body).not.toContain(t.rootToken);
  });

  it("pages through tokens with nextCursor: at least three pages, each token once, in id order", async () => {
    for (let i = 0; i < 5; i++) {
      t.clock.advance(1);
      await mintToken(t, ["keys:read"], { name: `paged-${i}` });
    }
    const pages = await walkPages(t, "/v1/tokens?limit=3");
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort());
  });

  it("shows lastUsedAt once token usage is flushed", async () => {
    const minted = await mintToken(t, ["keys:read"]);
    t.clock.advance(1_000);
    await t.request("GET", "/v1/keys", undefined, minted.token);
    await t.instance.tokens.usage.flush();
    const items = (await t.request("GET", "/v1/tokens?limit=100")).json().items as Array<{ id: string }>;
    expect(items.find((x) => x.id === minted.id)).toMatchObject({ lastUsedAt: iso(t.clock.now()) });
  });
});

describe("POST /v1/tokens/{id}/revoke", () => {
  it("revokes a token, which is refused from the very next request", async () => {
    const minted = await mintToken(t, ["keys:read"]);
    expect((await t.request("GET", "/v1/keys", undefined, minted.token)).statusCode).toBe(200);
    const res = await t.request("POST", `/v1/tokens/${minted.id}/revoke`, {});
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: minted.id, revokedAt: iso(t.clock.now()) });
    expect((await t.request("GET", "/v1/keys", undefined, minted.token)).statusCode).toBe(401);
  });

  it("returns the first revocation when revoking again", async () => {
    const minted = await mintToken(t, ["keys:read"]);
    const first = await t.request("POST", `/v1/tokens/${minted.id}/revoke`);
    expect(first.statusCode, first.body).toBe(200);
    t.clock.advance(60_000);
    const second = await t.request("POST", `/v1/tokens/${minted.id}/revoke`);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
  });

  it("lets a token revoke itself", async () => {
    const minted = await mintToken(t, ["tokens:write"]);
    const res = await t.request("POST", `/v1/tokens/${minted.id}/revoke`, {}, minted.token);
    expect(res.statusCode, res.body).toBe(200);
    expect((await t.request("GET", "/v1/tokens", undefined, minted.token)).statusCode).toBe(401);
  });
});
