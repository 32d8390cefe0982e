import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProject, expectProblem, mintToken } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
let projectA: string;
let projectB: string;
beforeAll(async () => {
  t = await createTestApp();
  projectA = await createProject(t, { name: "a" });
  projectB = await createProject(t, { name: "b" });
});
afterAll(async () => {
  await t.close();
});

const routes = (): Array<{ method: "GET" | "POST" | "PATCH"; url: string; body?: unknown }> => [
  { method: "POST", url: "/v1/projects", body: { name: "x" } },
  { method: "GET", url: "/v1/projects" },
  { method: "GET", url: `/v1/projects/${projectA}` },
  { method: "PATCH", url: `/v1/projects/${projectA}`, body: { policies: { maxLifetime: "P1D" } } },
];

describe("authentication", () => {
  it("answers 401 on every projects route without a token or with a garbage one", async () => {
    for (const route of routes()) {
      for (const token of [null, "garbage", `kwr_${"0".repeat(49)}`]) {
        const res = await t.request(route.method, route.url, route.body, token);
        expectProblem(res, 401, "UNAUTHORIZED");
        expect(res.headers["www-authenticate"]).toBe('Bearer realm="keyward"');
      }
    }
  });

  it("answers 401 to a revoked token", async () => {
    const minted = await mintToken(t, ["projects:read"]);
    await t.request("POST", `/v1/tokens/${minted.id}/revoke`, {});
    expectProblem(await t.request("GET", "/v1/projects", undefined, minted.token), 401, "UNAUTHORIZED");
  });
});

describe("authorization", () => {
  it("needs projects:write to create and projects:read to read", async () => {
    const reader = (await mintToken(t, ["projects:read"])).token;
    const writer = (await mintToken(t, ["projects:write"])).token;
    expectProblem(await t.request("POST", "/v1/projects", { name: "x" }, reader), 403, "FORBIDDEN");
    expectProblem(await t.request("GET", "/v1/projects", undefined, writer), 403, "FORBIDDEN");
    expectProblem(await t.request("GET", `/v1/projects/${projectA}`, undefined, writer), 403, "FORBIDDEN");
    expect((await t.request("POST", "/v1/projects", { name: "x" }, writer)).statusCode).toBe(201);
  });

  it("never lets a token limited to projects create a project, even with projects:write", async () => {
    const limited = (await mintToken(t, ["*"], { projectIds: [projectA] })).token;
    expectProblem(await t.request("POST", "/v1/projects", { name: "sneaky" }, limited), 403, "FORBIDDEN");
  });
});

describe("a token limited to project A", () => {
  it("sees project B as NOT_FOUND and lists only project A", async () => {
    const limited = (await mintToken(t, ["projects:read"], { projectIds: [projectA] })).token;
    expectProblem(await t.request("GET", `/v1/projects/${projectB}`, undefined, limited), 404, "NOT_FOUND");
    expect((await t.request("GET", `/v1/projects/${projectA}`, undefined, limited)).statusCode).toBe(200);
    const listed = await t.request("GET", "/v1/projects?limit=100", undefined, limited);
    expect((listed.json().items as Array<{ id: string }>).map((p) => p.id)).toEqual([projectA]);
    expect(listed.json().nextCursor).toBeNull();
  });

  it("pages through only its own projects when it is limited to several", async () => {
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) {
      t.clock.advance(1);
      mine.push(await createProject(t, { name: `mine-${i}` }));
      await createProject(t, { name: `theirs-${i}` });
    }
    const limited = (await mintToken(t, ["projects:read"], { projectIds: mine })).token;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/projects?limit=2${cursor === null ? "" : `&cursor=${cursor}`}`;
      const page = (await t.request("GET", url, undefined, limited)).json();
      seen.push(...(page.items as Array<{ id: string }>).map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([...mine].sort());
  });
});

describe("PATCH /v1/projects/{id} authorization", () => {
  it("needs projects:write: projects:read cannot change policies, projects:write alone can", async () => {
    const id = await createProject(t, { name: "guarded" });
    const reader = (await mintToken(t, ["projects:read", "keys:*"])).token;
    const writer = (await mintToken(t, ["projects:write"])).token;
    expectProblem(
      await t.request("PATCH", `/v1/projects/${id}`, { policies: { maxLifetime: "P1D" } }, reader),
      403,
      "FORBIDDEN",
    );
    expect((await t.request("GET", `/v1/projects/${id}`)).json().policies).toEqual({});
    const res = await t.request("PATCH", `/v1/projects/${id}`, { policies: { maxLifetime: "P1D" } }, writer);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().policies).toEqual({ maxLifetime: "P1D" });
  });

  it("lets a token limited to project A change A, and answers NOT_FOUND for B, unchanged", async () => {
    const limited = (await mintToken(t, ["projects:*"], { projectIds: [projectA] })).token;
    const hidden = await t.request(
      "PATCH",
      `/v1/projects/${projectB}`,
      { name: "taken", policies: { maxLifetime: "P1D" } },
      limited,
    );
    const absent = await t.request(
      "PATCH",
      "/v1/projects/proj_0000000000000000000000",
      { name: "x" },
      limited,
    );
    expectProblem(hidden, 404, "NOT_FOUND");
    expect({ ...hidden.json(), requestId: null }).toEqual({ ...absent.json(), requestId: null });
    expect((await t.request("GET", `/v1/projects/${projectB}`)).json()).toMatchObject({
      name: "b",
      policies: {},
    });
    const own = await t.request(
      "PATCH",
      `/v1/projects/${projectA}`,
      { policies: { rotationPeriod: "P30D" } },
      limited,
    );
    expect(own.statusCode, own.body).toBe(200);
  });
});

describe("PATCH /v1/projects/{id} network settings", () => {
  it("needs projects:write to set an allowlist or time zone, and a limited token cannot reach another project", async () => {
    const reader = (await mintToken(t, ["projects:read", "keys:*"])).token;
    const limited = (await mintToken(t, ["projects:*"], { projectIds: [projectA] })).token;
    const change = { ipAllowlist: ["0.0.0.0/0", "::/0"], timezone: "Pacific/Kiritimati" };
    expectProblem(await t.request("PATCH", `/v1/projects/${projectA}`, change, reader), 403, "FORBIDDEN");
    expectProblem(await t.request("PATCH", `/v1/projects/${projectB}`, change, limited), 404, "NOT_FOUND");
    expect((await t.request("GET", `/v1/projects/${projectB}`)).json()).toMatchObject({
      ipAllowlist: null,
      timezone: "UTC",
    });
    const own = await t.request("PATCH", `/v1/projects/${projectA}`, change, limited);
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json()).toMatchObject(change);
  });
});
