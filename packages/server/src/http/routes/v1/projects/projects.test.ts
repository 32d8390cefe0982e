import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProject, walkPages } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("POST /v1/projects", () => {
  it("creates a project with the prefix asked for and returns 201 with its record", async () => {
    const res = await t.request("POST", "/v1/projects", { name: "billing-api", keyPrefix: "bill" });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({
      id: expect.stringMatching(/^proj_[0-9A-Za-z]{22}$/),
      name: "billing-api",
      keyPrefix: "bill",
      policies: {},
      ipAllowlist: null,
      timezone: "UTC",
      recoverableKeys: false,
      require2fa: false,
      createdAt: new Date(t.clock.now()).toISOString(),
    });
  });

  it("gives a project the kw prefix when none is asked for", async () => {
    const res = await t.request("POST", "/v1/projects", { name: "plain" });
    expect(res.json()).toMatchObject({ name: "plain", keyPrefix: "kw" });
  });

  it("accepts the longest prefix and name the limits allow", async () => {
    const res = await t.request("POST", "/v1/projects", {
      name: "n".repeat(255),
      keyPrefix: `a${"_9".repeat(9)}z`,
    });
    expect(res.statusCode, res.body).toBe(201);
  });
});

describe("GET /v1/projects/{id}", () => {
  it("returns the project as it was created", async () => {
    const created = await t.request("POST", "/v1/projects", { name: "fetch-me", keyPrefix: "fm" });
    const res = await t.request("GET", `/v1/projects/${created.json().id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(created.json());
  });
});

describe("GET /v1/projects", () => {
  it("includes the default project made at init", async () => {
    const res = await t.request("GET", "/v1/projects?limit=100");
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toContainEqual(expect.objectContaining({ name: "default", keyPrefix: "kw" }));
  });

  it("pages through every project with nextCursor: at least three pages, each project once, in id order", async () => {
    const created: string[] = [];
    for (let i = 0; i < 6; i++) {
      t.clock.advance(1);
      created.push(await createProject(t, { name: `paged-${i}` }));
    }
    const pages = await walkPages(t, "/v1/projects?limit=3");
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages.slice(0, -1)) expect(page).toHaveLength(3);
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining(created));
  });

  it("uses a page size of 50 when no limit is given", async () => {
    for (let i = 0; i < 50; i++) await createProject(t, { name: `bulk-${i}` });
    const res = await t.request("GET", "/v1/projects");
    expect(res.json().items).toHaveLength(50);
    expect(res.json().nextCursor).toEqual(expect.any(String));
  });
});

describe("PATCH /v1/projects/{id}", () => {
  it("sets policies, shows them on get and list, and leaves absent ones as they are", async () => {
    const id = await createProject(t, { name: "with-policies" });
    const set = await t.request("PATCH", `/v1/projects/${id}`, {
      policies: { maxLifetime: "P1Y", rotationPeriod: "P90D" },
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({
      id,
      name: "with-policies",
      policies: { maxLifetime: "P1Y", rotationPeriod: "P90D" },
    });
    expect(Object.keys(set.json().policies)).toEqual(["maxLifetime", "rotationPeriod"]);

    const more = await t.request("PATCH", `/v1/projects/${id}`, {
      policies: { inactivityRevocation: "P180D", expiryNotice: "PT12H" },
    });
    expect(more.json().policies).toEqual({
      maxLifetime: "P1Y",
      rotationPeriod: "P90D",
      inactivityRevocation: "P180D",
      expiryNotice: "PT12H",
    });
    expect((await t.request("GET", `/v1/projects/${id}`)).json()).toEqual(more.json());
    const listed = await t.request("GET", "/v1/projects?limit=100");
    expect(listed.json().items).toContainEqual(more.json());
  });

  it("removes a policy given as null and replaces one given again", async () => {
    const id = await createProject(t, { name: "removals" });
    await t.request("PATCH", `/v1/projects/${id}`, {
      policies: { maxLifetime: "P30D", rotationPeriod: "P7D", expiryNotice: "P1D" },
    });
    const res = await t.request("PATCH", `/v1/projects/${id}`, {
      policies: { maxLifetime: null, rotationPeriod: "P14D" },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().policies).toEqual({ rotationPeriod: "P14D", expiryNotice: "P1D" });
    const cleared = await t.request("PATCH", `/v1/projects/${id}`, {
      policies: { rotationPeriod: null, expiryNotice: null, inactivityRevocation: null },
    });
    expect(cleared.json().policies).toEqual({});
  });

  it("renames a project and keeps its prefix, policies and creation time", async () => {
    const created = (await t.request("POST", "/v1/projects", { name: "old-name", keyPrefix: "on" })).json();
    await t.request("PATCH", `/v1/projects/${created.id}`, { policies: { rotationPeriod: "P1M" } });
    t.clock.advance(1_000);
    const res = await t.request("PATCH", `/v1/projects/${created.id}`, { name: "new-name" });
    expect(res.json()).toEqual({ ...created, name: "new-name", policies: { rotationPeriod: "P1M" } });
  });

  it("answers an empty change with the project unchanged", async () => {
    const created = (await t.request("POST", "/v1/projects", { name: "same" })).json();
    for (const body of [{}, { policies: {} }]) {
      const res = await t.request("PATCH", `/v1/projects/${created.id}`, body);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual(created);
    }
  });
});

describe("require2fa", () => {
  it("POST sets it, GET shows it, PATCH turns it off and on, and other changes keep it", async () => {
    const created = await t.request("POST", "/v1/projects", { name: "strict", require2fa: true });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().require2fa).toBe(true);
    const id = created.json().id as string;
    expect((await t.request("GET", `/v1/projects/${id}`)).json().require2fa).toBe(true);
    const off = await t.request("PATCH", `/v1/projects/${id}`, { require2fa: false });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toEqual({ ...created.json(), require2fa: false });
    expect((await t.request("PATCH", `/v1/projects/${id}`, { require2fa: true })).json().require2fa).toBe(
      true,
    );
    const renamed = await t.request("PATCH", `/v1/projects/${id}`, { name: "strict-2" });
    expect(renamed.json()).toMatchObject({ name: "strict-2", require2fa: true });
  });

  it("records turning it on in the audit log, as a created field and as a change", async () => {
    const id = (await t.request("POST", "/v1/projects", { name: "audited-2fa", require2fa: true })).json().id;
    await t.request("PATCH", `/v1/projects/${id}`, { require2fa: false });
    const entries = async (action: string) =>
      (await t.request("GET", `/v1/audit?action=${action}&targetId=${id}`)).json().items as Array<{
        diff: Record<string, unknown>;
      }>;
    expect((await entries("project.created"))[0]?.diff).toMatchObject({ require2fa: true });
    expect((await entries("project.updated"))[0]?.diff).toEqual({ require2fa: { from: true, to: false } });
  });
});

describe("PATCH /v1/projects/{id} ipAllowlist and timezone", () => {
  it("sets a default allowlist in canonical form and a time zone, shows them on get, and removes the list with null", async () => {
    const id = await createProject(t, { name: "network" });
    const res = await t.request("PATCH", `/v1/projects/${id}`, {
      ipAllowlist: ["10.0.0.0/8", "2001:DB8:0:0::/32", "10.0.0.0/8", "192.0.2.1"],
      timezone: "America/New_York",
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      ipAllowlist: ["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"],
      timezone: "America/New_York",
    });
    expect((await t.request("GET", `/v1/projects/${id}`)).json()).toEqual(res.json());

    const renamed = await t.request("PATCH", `/v1/projects/${id}`, { name: "network-2" });
    expect(renamed.json()).toMatchObject({
      ipAllowlist: res.json().ipAllowlist,
      timezone: "America/New_York",
    });
    const removed = await t.request("PATCH", `/v1/projects/${id}`, { ipAllowlist: null, timezone: "UTC" });
    expect(removed.json()).toMatchObject({ ipAllowlist: null, timezone: "UTC" });
  });

  it("accepts an empty allowlist (no address may use the project's keys)", async () => {
    const id = await createProject(t, { name: "closed" });
    const res = await t.request("PATCH", `/v1/projects/${id}`, { ipAllowlist: [] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().ipAllowlist).toEqual([]);
  });
});
