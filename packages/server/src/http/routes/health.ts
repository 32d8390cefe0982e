import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../app.js";
import { problems } from "../route-kit.js";

const Status = Type.Object({ status: Type.String() }, { examples: [{ status: "ok" }] });

const Ready = Type.Object(
  {
    status: Type.Literal("ready"),
    checks: Type.Object({
      store: Type.Literal("ok"),
      migrations: Type.Literal("current"),
      rateLimiter: Type.Union([Type.Literal("ok"), Type.Literal("unavailable")], {
        description:
          "Reported, not fatal: every node shares the limiter, and KEYWARD_RATELIMIT_FAIL_OPEN / " +
          "KEYWARD_QUOTA_FAIL_OPEN decide what verification does while it is down.",
      }),
      cacheInvalidation: Type.Union(
        [Type.Literal("listening"), Type.Literal("reconnecting"), Type.Literal("off")],
        {
          description:
            "Whether this node hears other nodes' changes (KEYWARD_CACHE_INVALIDATION). Reported, not fatal: " +
            "while reconnecting, the cache TTL bounds how stale this node can be, and it drops its caches once " +
            "it listens again. `off` on a node alone.",
        },
      ),
    }),
  },
  {
    examples: [
      {
        status: "ready",
        checks: { store: "ok", migrations: "current", rateLimiter: "ok", cacheInvalidation: "listening" },
      },
    ],
  },
);

/** GET /healthz (the process answers) and GET /readyz (the store answers too). Public. */
export function registerHealth(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/healthz",
    {
      config: { permission: null },
      schema: { tags: ["health"], summary: "Liveness", security: [], response: { 200: Status } },
    },
    async () => ({ status: "ok" }),
  );
  app.get(
    "/readyz",
    {
      config: { permission: null },
      schema: {
        tags: ["health"],
        summary: "Readiness",
        description:
          "200 when the store answers and its schema is current, with the state of each dependency; 503 " +
          "STORE_UNAVAILABLE when the store does not answer, 503 NOT_READY when its schema is older than this " +
          "build (run `keyward migrate`) or while shutting down.",
        security: [],
        response: { 200: Ready, ...problems(503) },
      },
    },
    async () => ({ status: "ready" as const, checks: await deps.readiness() }),
  );
}
