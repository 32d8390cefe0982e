import type { SwaggerOptions } from "@fastify/swagger";

/** The top of the OpenAPI 3.1 document; every route adds its own part from its schema. */
export function describeApi(): NonNullable<Extract<SwaggerOptions, { openapi?: unknown }>["openapi"]> {
  return {
    openapi: "3.1.0",
    info: {
      title: "Keyward API",
      version: "1.0.0",
      description:
        "Self-hosted API key management: issue keys, verify them on the hot path, revoke them. Every route except " +
        "health checks and this document needs `Authorization: Bearer <token>` with the permission named in its " +
        "description. Errors are RFC 9457 problem documents with a stable `code`.",
    },
    servers: [{ url: "http://127.0.0.1:8080", description: "Local Keyward" }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An admin token (kwr_...)." },
      },
    },
    security: [{ bearer: [] }],
    tags: [
      { name: "keys", description: "Issue, list, change, revoke and verify API keys." },
      { name: "projects", description: "Projects group keys and give them their prefix." },
      { name: "tokens", description: "Admin tokens that call this API." },
      { name: "alerts", description: "Anomalies the detectors raised: dead keys used, canary keys used." },
      { name: "audit", description: "The tamper-evident audit log: entries, verification, checkpoints." },
      { name: "usage", description: "Verification outcomes per key and project, by minute, hour or day." },
      { name: "identities", description: "Shared meta and rate limits for all the keys of one owner." },
      { name: "rbac", description: "Permissions and roles keys can hold (an instance-wide catalogue)." },
      { name: "health", description: "Liveness and readiness." },
      { name: "monitoring", description: "Prometheus metrics." },
      {
        name: "unkey",
        description:
          "Unkey v2-compatible surface (`POST /v2/<service>.<method>`, Unkey's envelopes), so Unkey's clients work " +
          "unchanged: see docs/migrate-from-unkey.md.",
      },
    ],
  };
}
