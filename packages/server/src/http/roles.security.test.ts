import { holdsPermission } from "@keyward/core/permissions.js";
import { ROLE_PERMISSIONS, ROLES, type Role } from "@keyward/core/roles.js";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type CollectedRoute, routesOf } from "../../test/support/route-collector.js";
import {
  createUserDirectly,
  enrolTotp,
  login,
  rootPrincipal,
  type TestSession,
} from "../../test/support/session-helpers.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";
import { CSRF_HEADER, SELF, SESSION_COOKIE } from "./auth.js";

// Every app built in this file records its routes through an onRoute hook added before the first route.
vi.mock("fastify", async (importOriginal) => {
  const { withRouteCollector } = await import("../../test/support/route-collector.js");
  return withRouteCollector(await importOriginal());
});

/**
 * Routes that end or change the caller's own session or second factor: each role's walk sends them last, so
 * the walk's other requests still run on a live session with two-factor authentication on.
 */
const SESSION_ENDING = new Map([
  ["DELETE /v1/users/me/totp", 1],
  ["POST /v1/auth/logout", 2],
]);

let t: TestApp;
let routes: CollectedRoute[];
/** Each role's user, bound instance-wide, enrolled in TOTP, with a fresh second factor. */
const sessions = new Map<Role, TestSession>();
/** Each role's user bound in project A only. */
const projectASessions = new Map<Role, TestSession>();
/** Records of project B, which project-A users must not reach. */
let projectB: { projectId: string; keyId: string; webhookId: string; secretId: string };

beforeAll(async () => {
  t = await createTestApp();
  routes = routesOf(t.app).filter((r) => r.permission !== null);
  const root = await rootPrincipal(t);
  const a = await t.instance.projects.createProject(root, { name: "project a" });
  const b = await t.instance.projects.createProject(root, { name: "project b" });
  const key = await t.instance.keys.createKey(root, { projectId: b.id });
  const webhook = await t.instance.webhooks.createWebhook(root, {
    projectId: b.id,
    url: "https://hooks.example.com/keyward",
    events: ["key.created"],
  });
  const secret = await t.instance.secrets.createSecret(root, {
    projectId: b.id,
    name: "UPSTREAM",
    value: "s3cret",
  });
  projectB = { projectId: b.id, keyId: key.record.id, webhookId: webhook.record.id, secretId: secret.id };
  for (const role of ROLES) {
    await createUserDirectly(t, { email: `${role}@example.com`, role });
    const session = await login(t, `${role}@example.com`);
    await enrolTotp(t, session);
    sessions.set(role, session);
    await createUserDirectly(t, { email: `${role}.a@example.com`, role, projectIds: [a.id] });
    projectASessions.set(role, await login(t, `${role}.a@example.com`));
  }
});

afterAll(async () => {
  await t.close();
});

/** A concrete URL: path parameters name nothing (no request changes state) unless `ids` gives one. */
function urlOf(route: CollectedRoute, ids: Record<string, string> = {}): string {
  return route.url.replace(/:(\w+)/g, (_, name: string) => ids[name] ?? `missing_${name}`);
}

function send(
  route: CollectedRoute,
  session: TestSession | null,
  url = urlOf(route),
): Promise<LightMyRequestResponse> {
  const hasBody = route.method !== "GET" && route.method !== "HEAD" && route.method !== "DELETE";
  return t.app.inject({
    method: route.method as "GET",
    url,
    headers: {
      ...(session === null
        ? {}
        : { cookie: `${SESSION_COOKIE}=${session.secret}`, [CSRF_HEADER]: session.csrfToken }),
      ...(hasBody ? { "content-type": "application/json" } : {}),
    },
    ...(hasBody ? { payload: "{}" } : {}),
  });
}

/**
 * The error code of a response: a problem document's `code`, or for the Unkey-compatible surface the code its
 * `error.type` URI ends with. HEAD responses have no body, so only their status can be checked.
 */
function codeOf(res: LightMyRequestResponse): string | undefined {
  if (res.body === "") return "FORBIDDEN";
  const body = res.json() as { code?: string; error?: { type?: string } };
  return body.code ?? body.error?.type?.split("/").at(-1)?.toUpperCase();
}

const label = (route: CollectedRoute) => `${route.method} ${route.url}`;

/** The walk's order: the routes that end the session or its second factor last. */
function walkOrder(): CollectedRoute[] {
  const rank = (route: CollectedRoute) => SESSION_ENDING.get(label(route)) ?? 0;
  return [...routes].sort((x, y) => rank(x) - rank(y));
}

describe("every route × every role (user sessions)", () => {
  it("allows exactly what each role's permissions allow, instance-wide", async () => {
    const mismatches: string[] = [];
    for (const role of ROLES) {
      const session = sessions.get(role) as TestSession;
      for (const route of walkOrder()) {
        const res = await send(route, session);
        const permission = route.permission as string;
        const allowed = permission === SELF || holdsPermission(ROLE_PERMISSIONS[role], permission);
        const refusedByAuthz = res.statusCode === 401 || res.statusCode === 403;
        if (res.statusCode >= 500)
          mismatches.push(`${label(route)} as ${role}: ${res.statusCode} ${res.body}`);
        else if (allowed && refusedByAuthz) {
          mismatches.push(
            `${label(route)} as ${role}: expected allowed, got ${res.statusCode} ${res.body.slice(0, 160)}`,
          );
        } else if (!allowed && (res.statusCode !== 403 || codeOf(res) !== "FORBIDDEN")) {
          mismatches.push(
            `${label(route)} as ${role}: expected 403 FORBIDDEN, got ${res.statusCode} ${res.body.slice(0, 160)}`,
          );
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("answers 401 to every non-public route without a session", async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      const res = await send(route, null);
      if (res.statusCode !== 401) wrong.push(`${label(route)}: ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });

  it("never lets a user bound to project A reach project B's records, whatever the role", async () => {
    const ids: Record<string, Record<string, string>> = {
      "/v1/keys/": { id: projectB.keyId },
      "/v1/webhooks/": { id: projectB.webhookId },
      "/v1/secrets/": { id: projectB.secretId },
      "/v1/projects/": { id: projectB.projectId },
    };
    const leaks: string[] = [];
    for (const role of ROLES) {
      const session = projectASessions.get(role) as TestSession;
      for (const route of walkOrder()) {
        const prefix = Object.keys(ids).find((p) => route.url.startsWith(p) && route.url.includes(":id"));
        if (prefix === undefined || SESSION_ENDING.has(label(route))) continue;
        const res = await send(route, session, urlOf(route, ids[prefix]));
        // Hidden (404) or refused (403); a 400 is a body the route refused before looking anything up.
        if (![400, 403, 404].includes(res.statusCode)) {
          leaks.push(`${label(route)} as ${role} in A: ${res.statusCode} ${res.body.slice(0, 160)}`);
        }
      }
      for (const [method, url, body] of [
        ["POST", "/v1/keys", { projectId: projectB.projectId }],
        ["POST", "/v1/secrets", { projectId: projectB.projectId, name: "X", value: "y" }],
        [
          "POST",
          "/v1/webhooks",
          { projectId: projectB.projectId, url: "https://hooks.example.com/b", events: ["key.created"] },
        ],
      ] as const) {
        const res = await t.app.inject({
          method,
          url,
          headers: {
            cookie: `${SESSION_COOKIE}=${session.secret}`,
            [CSRF_HEADER]: session.csrfToken,
            "content-type": "application/json",
          },
          payload: JSON.stringify(body),
        });
        if (![403, 404].includes(res.statusCode))
          leaks.push(`${method} ${url} in B as ${role} in A: ${res.statusCode}`);
      }
      const listed = await t.app.inject({
        method: "GET",
        url: `/v1/keys?projectId=${projectB.projectId}`,
        headers: { cookie: `${SESSION_COOKIE}=${session.secret}` },
      });
      if (listed.statusCode === 200 && (listed.json() as { items: unknown[] }).items.length > 0) {
        leaks.push(`GET /v1/keys?projectId=B as ${role} in A lists B's keys`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it("answers 401 to every non-public route once the session has expired", async () => {
    const session = await login(t, "viewer.a@example.com");
    t.clock.advance(t.instance.auth.policy.idleTimeoutMs + 1);
    const wrong: string[] = [];
    for (const route of routes) {
      const res = await send(route, session);
      if (res.statusCode !== 401) wrong.push(`${label(route)}: ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });
});
