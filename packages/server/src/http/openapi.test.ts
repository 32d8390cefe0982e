import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type CollectedRoute, routesOf } from "../../test/support/route-collector.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";

// Every app built in this file records its routes through an onRoute hook added before the first route.
vi.mock("fastify", async (importOriginal) => {
  const { withRouteCollector } = await import("../../test/support/route-collector.js");
  return withRouteCollector(await importOriginal());
});

type Json = Record<string, unknown>;

interface MediaType {
  schema?: Json;
  example?: unknown;
  examples?: unknown;
}

interface Operation {
  summary?: string;
  security?: unknown[];
  requestBody?: { content?: Record<string, MediaType> };
  responses?: Record<string, { content?: Record<string, MediaType> }>;
}

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, Json>; securitySchemes?: Record<string, Json> };
  security?: unknown[];
}

let t: TestApp;
let doc: Document;
let routes: CollectedRoute[];

beforeAll(async () => {
  t = await createTestApp();
  const res = await t.request("GET", "/openapi.json", undefined, null);
  expect(res.statusCode).toBe(200);
  doc = res.json() as Document;
  routes = routesOf(t.app);
});
afterAll(async () => {
  await t.close();
});

/** The component a local `$ref` points at, or undefined. */
function resolve(schema: Json | undefined): Json | undefined {
  const ref = schema?.$ref;
  if (typeof ref !== "string") return schema;
  const name = ref.replace("#/components/schemas/", "");
  return doc.components.schemas?.[name];
}

function hasExample(media: MediaType): boolean {
  if (media.example !== undefined || media.examples !== undefined) return true;
  const schema = resolve(media.schema);
  return Array.isArray(schema?.examples) && schema.examples.length > 0;
}

/** Every documented operation as [label, operation]. */
function operations(): Array<[string, Operation]> {
  return Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]): [string, Operation] => [
      `${method.toUpperCase()} ${path}`,
      op,
    ]),
  );
}

/** The OpenAPI path of a Fastify route: `:id` becomes `{id}`. */
function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, "{$1}");
}

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it("documents every registered route except itself (and the HEAD twins of GET routes) with a summary", () => {
    const documented = routes.filter((r) => r.method !== "HEAD" && r.url !== "/openapi.json");
    expect(documented.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const route of documented) {
      const op = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
      if (op === undefined) missing.push(`${route.method} ${route.url}: not in paths`);
      else if (typeof op.summary !== "string" || op.summary.length === 0)
        missing.push(`${route.method} ${route.url}: no summary`);
    }
    expect(missing).toEqual([]);
    expect(doc.paths["/openapi.json"]).toBeUndefined();
  });

  it("gives every request body an example", () => {
    const missing = operations()
      .filter(([, op]) => op.requestBody !== undefined)
      .flatMap(([label, op]) =>
        Object.entries(op.requestBody?.content ?? {})
          .filter(([, media]) => !hasExample(media))
          .map(([type]) => `${label} ${type}`),
      );
    expect(missing).toEqual([]);
  });

  it("gives every 2xx response an example, directly or through the component it references", () => {
    const missing: string[] = [];
    for (const [label, op] of operations()) {
      const successes = Object.entries(op.responses ?? {}).filter(([status]) => status.startsWith("2"));
      expect(successes.length, `${label} documents a success`).toBeGreaterThan(0);
      for (const [status, response] of successes) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (!hasExample(media)) missing.push(`${label} ${status} ${type}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("makes every 4xx and 5xx response reference the Problem schema", () => {
    const wrong: string[] = [];
    for (const [label, op] of operations()) {
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        if (!/^[45]/.test(status)) continue;
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (type !== "application/problem+json" || media.schema?.$ref !== "#/components/schemas/Problem") {
            wrong.push(`${label} ${status} ${type}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    const problem = doc.components.schemas?.Problem;
    expect(problem?.required).toEqual(
      expect.arrayContaining(["type", "title", "status", "detail", "code", "requestId"]),
    );
  });

  it("documents rotation, bulk revocation, project policies and the policy violation", () => {
    const key = doc.components.schemas?.Key as { properties: Json; required: string[]; examples: Json[] };
    for (const field of ["replacedBy", "replaces", "rotationDue"]) {
      expect(key.properties, field).toHaveProperty(field);
      expect(key.required, field).toContain(field);
      expect(key.examples[0], field).toHaveProperty(field);
    }
    const project = doc.components.schemas?.Project as { properties: Json; examples: Json[] };
    expect(Object.keys(project.properties.policies as Json)).toContain("properties");
    expect(project.examples[0]?.policies).toEqual({ maxLifetime: "P1Y", rotationPeriod: "P90D" });

    const rotate = doc.paths["/v1/keys/{id}/rotate"]?.post;
    expect(Object.keys(rotate?.responses ?? {})).toEqual(expect.arrayContaining(["201", "404", "409"]));
    const rotated = rotate?.responses?.["201"]?.content?.["application/json"]?.schema as { properties: Json };
    expect(rotated.properties.previous).toMatchObject({ $ref: "#/components/schemas/Key" });
    expect(Object.keys(doc.paths["/v1/keys/revoke"]?.post?.responses ?? {})).toContain("200");
    expect(Object.keys(doc.paths["/v1/projects/{id}"]?.patch?.responses ?? {})).toContain("200");
    for (const [path, method] of [
      ["/v1/keys", "post"],
      ["/v1/keys/{id}", "patch"],
    ] as const) {
      expect(doc.paths[path]?.[method]?.responses, `${method} ${path}`).toHaveProperty("422");
    }
    const verified = doc.paths["/v1/keys/verify"]?.post?.responses?.["200"]?.content?.["application/json"]
      ?.schema as { properties: Json };
    expect(Object.keys(verified.properties)).toEqual(expect.arrayContaining(["rotationDue", "rotation"]));
  });

  it("documents rate limits, quotas, IP allowlists and the standalone rate limit routes", () => {
    const key = doc.components.schemas?.Key as { properties: Json; required: string[]; examples: Json[] };
    for (const field of ["rateLimits", "quota", "ipAllowlist"]) {
      expect(key.properties, field).toHaveProperty(field);
      expect(key.required, field).toContain(field);
      expect(key.examples[0], field).toHaveProperty(field);
    }
    const project = doc.components.schemas?.Project as {
      properties: Json;
      required: string[];
      examples: Json[];
    };
    for (const field of ["ipAllowlist", "timezone"]) {
      expect(project.required, field).toContain(field);
      expect(project.examples[0], field).toHaveProperty(field);
    }

    const verify = doc.paths["/v1/keys/verify"]?.post;
    const verified = verify?.responses?.["200"]?.content?.["application/json"]?.schema as {
      properties: Record<string, Json>;
    };
    expect(Object.keys(verified.properties)).toEqual(
      expect.arrayContaining(["rateLimits", "quota", "degraded"]),
    );
    const codes = JSON.stringify(verified.properties.code);
    for (const code of ["IP_NOT_ALLOWED", "RATE_LIMITED", "USAGE_EXCEEDED"])
      expect(codes, code).toContain(code);
    expect(Object.keys(verify?.responses ?? {})).toEqual(expect.arrayContaining(["429", "503"]));
    const verifyBody = verify?.requestBody?.content?.["application/json"]?.schema as { properties: Json };
    expect(Object.keys(verifyBody.properties)).toEqual(expect.arrayContaining(["cost", "rateLimits"]));

    for (const [path, method, status] of [
      ["/v1/keys/{id}/quota", "post", "200"],
      ["/v1/ratelimit", "post", "200"],
      ["/v1/ratelimit/overrides", "put", "200"],
      ["/v1/ratelimit/overrides", "get", "200"],
      ["/v1/ratelimit/overrides", "delete", "204"],
    ] as const) {
      expect(Object.keys(doc.paths[path]?.[method]?.responses ?? {}), `${method} ${path}`).toContain(status);
    }
    expect(Object.keys(doc.paths["/v1/keys/{id}/quota"]?.post?.responses ?? {})).toContain("409");
    expect(Object.keys(doc.paths["/v1/ratelimit/overrides"]?.delete?.responses ?? {})).toContain("404");
  });

  it("declares bearer security for the API and none for the health routes", () => {
    expect(doc.components.securitySchemes?.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearer: [] }]);
    for (const path of ["/healthz", "/readyz"]) {
      expect(doc.paths[path]?.get?.security, path).toEqual([]);
    }
    for (const [label, op] of operations()) {
      if (label.endsWith("/healthz") || label.endsWith("/readyz")) continue;
      expect(op.security, `${label} inherits the bearer requirement`).toBeUndefined();
    }
  });
});
