import { randomBytes } from "node:crypto";
import { holdsPermission } from "@keyward/core/permissions.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createProject,
  expectProblem,
  mintToken,
  rawResponse,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, createTraceLoggedApp, type TestApp } from "../../../../../test/support/test-app.js";

type Method = "GET" | "POST" | "PATCH" | "DELETE";

let t: TestApp;
let projectA: string;
let projectB: string;
let secretB: string;
let keyB: { id: string; key: string };
const VALUE_B = `upstream-${randomBytes(16).toString("hex")}`;

beforeAll(async () => {
  t = await createTestApp();
  projectA = await createProject(t, { name: "a", keyPrefix: "pa" });
  projectB = await createProject(t, { name: "b", keyPrefix: "pb" });
  await t.request("PATCH", `/v1/projects/${projectB}`, { recoverableKeys: true });
  const res = await t.request("POST", "/v1/secrets", { projectId: projectB, name: "B", value: VALUE_B });
  secretB = res.json().id as string;
  keyB = await createKey(t, { projectId: projectB });
});
afterAll(async () => {
  await t.close();
});

/** Every secrets route and the key reveal, each with the permission it needs (DELETE last). */
function routes(): Array<{ method: Method; url: string; body?: unknown; permission: string }> {
  return [
    {
      method: "POST",
      url: "/v1/secrets",
      body: { projectId: projectB, name: `N${randomBytes(4).toString("hex")}`, value: "v" },
      permission: "secrets:write",
    },
    { method: "GET", url: "/v1/secrets", permission: "secrets:read" },
    { method: "GET", url: `/v1/secrets/${secretB}`, permission: "secrets:read" },
    { method: "PATCH", url: `/v1/secrets/${secretB}`, body: { value: VALUE_B }, permission: "secrets:write" },
    { method: "POST", url: `/v1/secrets/${secretB}/reveal`, permission: "secrets:reveal" },
    { method: "POST", url: `/v1/keys/${keyB.id}/reveal`, permission: "keys:reveal" },
  ];
}

describe("permissions", () => {
  it("answers 401 without a token on every route", async () => {
    for (const route of routes())
      expectProblem(await t.request(route.method, route.url, route.body, null), 401, "UNAUTHORIZED");
  });

  it("lets each permission do exactly its routes: read is not reveal, write is not reveal, keys:* reveals keys only", async () => {
    const roles = [
      "secrets:read",
      "secrets:write",
      "secrets:reveal",
      "keys:reveal",
      "keys:read",
      "secrets:*",
      "keys:*",
    ];
    const mismatches: string[] = [];
    for (const permission of roles) {
      const { token } = await mintToken(t, [permission]);
      for (const route of routes()) {
        const res = await t.request(route.method, route.url, route.body, token);
        const expected = holdsPermission([permission], route.permission);
        const ok = expected ? res.statusCode < 300 : res.statusCode === 403;
        if (!ok) mismatches.push(`${permission} ${route.method} ${route.url}: ${res.statusCode}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("hides project B's secret and key from a token limited to project A, like ones that do not exist", async () => {
    const { token } = await mintToken(t, ["secrets:*", "keys:*"], { projectIds: [projectA] });
    for (const route of routes().filter((r) => r.url !== "/v1/secrets")) {
      const res = await t.request(route.method, route.url, route.body, token);
      expectProblem(res, 404, "NOT_FOUND");
      expect(rawResponse(res)).not.toContain(VALUE_B);
    }
    const listed = await t.request("GET", "/v1/secrets?limit=100", undefined, token);
    expect(listed.json().items).toEqual([]);
    expect((await t.request("GET", `/v1/secrets/${secretB}`)).json().name).toBe("B");
  });
});

describe("secret values", () => {
  it("appear only in reveal responses: never in metadata, errors, or the audit log", async () => {
    const responses = [
      await t.request("GET", `/v1/secrets/${secretB}`),
      await t.request("GET", "/v1/secrets?limit=100"),
      await t.request("PATCH", `/v1/secrets/${secretB}`, { value: VALUE_B }),
      await t.request("POST", "/v1/secrets", { projectId: projectB, name: "B", value: VALUE_B }),
      await t.request("POST", "/v1/secrets", { projectId: projectB, name: "bad name", value: VALUE_B }),
      await t.request("POST", "/v1/secrets", {
        projectId: projectB,
        name: "N2",
        value: `${VALUE_B}${"x".repeat(9000)}`,
      }),
      await t.request("GET", "/v1/audit?limit=1000"),
      await t.request("GET", `/v1/projects/${projectB}`),
      await t.request("GET", `/v1/keys/${keyB.id}`),
    ];
    for (const [index, res] of responses.entries()) {
      expect(rawResponse(res), `response ${index}`).not.toContain(VALUE_B);
      expect(rawResponse(res), `response ${index}`).not.toContain(keyB.key);
    }
    const audit = await t.instance.stores.audit.listAuditEntries({ order: "oldest", limit: 10_000 });
    expect(JSON.stringify(audit)).not.toContain(VALUE_B);
    expect(JSON.stringify(audit)).not.toContain(keyB.key);
  });

  it("never reach the log, even with request logging at trace and a failing store", async () => {
    const { app, instance, lines, close } = await createTraceLoggedApp();
    const value = `logged-${randomBytes(16).toString("hex")}`;
    try {
      const send = (method: Method, url: string, body?: unknown) =>
        app.inject({
          method,
          url,
          headers: {
            authorization: `Bearer ${instance.rootToken}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        });
      const created = await send("POST", "/v1/secrets", { name: "LOGGED", value });
      expect(created.statusCode).toBe(201);
      const id = created.json().id as string;
      expect((await send("POST", `/v1/secrets/${id}/reveal`)).json().value).toBe(value);
      expect((await send("POST", "/v1/secrets", { name: "bad name", value })).statusCode).toBe(400);
      await instance.store.close();
      const failed = await send("POST", "/v1/secrets", { name: "AFTER_CLOSE", value });
      expect(failed.statusCode).toBeGreaterThanOrEqual(500);
      const log = lines.join("");
      expect(log).toContain("request completed");
      expect(log).toContain(failed.json().requestId);
      expect(log).not.toContain(value);
    } finally {
      await close();
    }
  });
});
