import { holdsPermission, PERMISSIONS } from "@keyward/core/permissions.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mintToken } from "../../test/support/api-helpers.js";
import { type CollectedRoute, routesOf } from "../../test/support/route-collector.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";
import { SELF } from "./auth.js";

// Every app built in this file records its routes through an onRoute hook added before the first route.
vi.mock("fastify", async (importOriginal) => {
  const { withRouteCollector } = await import("../../test/support/route-collector.js");
  return withRouteCollector(await importOriginal());
});

/** The only routes allowed to declare `permission: null`. */
const PUBLIC_PATHS = new Set([
  "/healthz",
  "/readyz",
  "/openapi.json",
  "/v1/auth/login",
  "/v1/auth/accept-invitation",
  "/v2/liveness",
]);

interface Role {
  name: string;
  /** The bearer token, or null for a request without one. */
  token: string | null;
  permissions: readonly string[];
}

let t: TestApp;
let routes: CollectedRoute[];
let roles: Role[];

beforeAll(async () => {
  t = await createTestApp();
  routes = routesOf(t.app);
  roles = [{ name: "no token", token: null, permissions: [] }];
  for (const permission of [...PERMISSIONS, "keys:*", "*"]) {
    const minted = await mintToken(t, [permission]);
    roles.push({ name: permission, token: minted.token, permissions: [permission] });
  }
});
afterAll(async () => {
  await t.close();
});

/** A concrete URL for a route: path parameters get an id that names nothing, so no request changes state. */
function urlOf(route: CollectedRoute): string {
  return route.url.replace(/:(\w+)/g, "missing_$1");
}

describe("route permissions", () => {
  it("are declared on every route, null only on the public ones, and name a known permission", () => {
    expect(routes.length).toBeGreaterThan(10);
    const undeclared = routes.filter((r) => r.permission === undefined).map((r) => `${r.method} ${r.url}`);
    expect(undeclared, "routes without config.permission").toEqual([]);
    const publicRoutes = routes.filter((r) => r.permission === null);
    expect(new Set(publicRoutes.map((r) => r.url))).toEqual(PUBLIC_PATHS);
    for (const route of routes.filter((r) => !PUBLIC_PATHS.has(r.url) && r.permission !== SELF)) {
      expect(PERMISSIONS as readonly unknown[], `${route.method} ${route.url}`).toContain(route.permission);
    }
  });

  it("are enforced exactly as declared for every route and every role", async () => {
    const mismatches: string[] = [];
    for (const route of routes) {
      for (const role of roles) {
        const res = await t.app.inject({
          method: route.method as "GET",
          url: urlOf(route),
          headers: {
            ...(role.token === null ? {} : { authorization: `Bearer ${role.token}` }),
            ...(route.method === "GET" || route.method === "HEAD"
              ? {}
              : { "content-type": "application/json" }),
          },
          ...(route.method === "GET" || route.method === "HEAD" ? {} : { payload: "{}" }),
        });
        const permission = route.permission;
        let expected: "401" | "403" | "allowed" | "refused";
        if (permission === null) expected = "allowed";
        else if (role.token === null) expected = "401";
        // Routes about the caller's own account: an admin token has none, so whatever its permissions it is
        // refused (403 from the service, or 400 when the body fails validation before the service is reached).
        else if (permission === SELF) expected = "refused";
        else if (permission !== undefined && holdsPermission(role.permissions, permission))
          expected = "allowed";
        else expected = "403";
        const refused = res.statusCode === 403 || res.statusCode === 400;
        const actual =
          expected === "refused" && refused
            ? "refused"
            : res.statusCode === 401
              ? "401"
              : res.statusCode === 403
                ? "403"
                : res.statusCode < 500
                  ? "allowed"
                  : "5xx";
        if (actual !== expected) {
          mismatches.push(
            `${route.method} ${route.url} as ${role.name}: expected ${expected}, got ${res.statusCode} ${res.body.slice(0, 120)}`,
          );
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});
