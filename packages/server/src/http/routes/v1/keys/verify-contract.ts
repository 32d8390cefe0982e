import { isIP } from "node:net";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { type Static, Type } from "typebox";
import type { VerifyMetrics } from "../../../../monitor/metrics.js";
import type { KeyService, VerifyKeyResult } from "../../../../services/key-service.js";
import type { Principal } from "../../../../services/principal.js";
import { isoOrNull } from "../../../presenters.js";
import { Cost, KEY_EXAMPLE, LIMIT_NAME_PATTERN, LIMITS, Scopes } from "../../../schemas.js";

/** The body of POST /v1/keys/verify. */
export const VerifyRequest = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: LIMITS.keyLength, description: "The key to check." }),
    scopes: Type.Optional(Scopes),
    ip: Type.Optional(
      Type.String({
        minLength: 2,
        maxLength: 64,
        description:
          "The end client's IP address, checked against the IP allowlist; a key with an allowlist verified " +
          "without it is IP_NOT_ALLOWED. Failed verifications are counted per this address (else per the " +
          "caller's).",
      }),
    ),
    cost: Type.Optional(Cost),
    rateLimits: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 64, pattern: LIMIT_NAME_PATTERN }),
            cost: Type.Optional(Cost),
            limit: Type.Optional(
              Type.Integer({
                minimum: 1,
                description: "This call only: the limit in place of the key's (checked as a key's limit is).",
              }),
            ),
            windowMs: Type.Optional(
              Type.Integer({
                minimum: 1,
                description:
                  "This call only: the window in place of the key's, counted apart from the usual window.",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        {
          maxItems: 10,
          description:
            "Charge only these rate limits of the key (each once, with its own cost or `cost`); absent: all of " +
            "them. A name the key does not have is a 400. `limit`/`windowMs` override a limit for this call.",
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        key: "kw_3Fh9xq0T8cVb2LmN7pQr5sKd1Wz4Ye6uJa9Hg0Bf3Cx7Mv0tO2iZ1r4Ag5",
        scopes: ["orders:read"],
      },
      {
        key: "kw_3Fh9xq0T8cVb2LmN7pQr5sKd1Wz4Ye6uJa9Hg0Bf3Cx7Mv0tO2iZ1r4Ag5",
        ip: "203.0.113.7",
        cost: 5,
        rateLimits: [{ name: "requests" }],
      },
      {
        key: "kw_3Fh9xq0T8cVb2LmN7pQr5sKd1Wz4Ye6uJa9Hg0Bf3Cx7Mv0tO2iZ1r4Ag5",
        rateLimits: [{ name: "requests", limit: 10, windowMs: 1_000 }],
      },
    ],
  },
);

const resetAt = "2026-11-28T09:01:00.000Z";

/** The key fields of every example answer about a found key. */
const FOUND_KEY_EXAMPLE = {
  keyId: KEY_EXAMPLE.id,
  projectId: KEY_EXAMPLE.projectId,
  ownerId: KEY_EXAMPLE.ownerId,
  name: KEY_EXAMPLE.name,
  scopes: KEY_EXAMPLE.scopes,
  meta: KEY_EXAMPLE.meta,
  expiresAt: KEY_EXAMPLE.expiresAt,
  rotationDue: false,
};

/** The answer of POST /v1/keys/verify. */
export const VerifyResponse = Type.Object(
  {
    valid: Type.Boolean(),
    code: Type.Union([
      Type.Literal("VALID"),
      Type.Literal("NOT_FOUND"),
      Type.Literal("REVOKED"),
      Type.Literal("EXPIRED"),
      Type.Literal("DISABLED"),
      Type.Literal("IP_NOT_ALLOWED"),
      Type.Literal("INSUFFICIENT_SCOPE"),
      Type.Literal("RATE_LIMITED"),
      Type.Literal("USAGE_EXCEEDED"),
    ]),
    keyId: Type.Optional(Type.String()),
    projectId: Type.Optional(Type.String()),
    ownerId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    scopes: Type.Optional(Type.Array(Type.String())),
    roles: Type.Optional(Type.Array(Type.String(), { description: "When the key has roles: their names." })),
    grantedScopes: Type.Optional(
      Type.Array(Type.String(), {
        description: "When the key has roles: its scopes plus its roles' permissions, which the check used.",
      }),
    ),
    meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    expiresAt: Type.Optional(Type.Union([Type.String({ format: "date-time" }), Type.Null()])),
    rotationDue: Type.Optional(
      Type.Boolean({
        description: "Whenever the key was found: true when it is older than the project's rotationPeriod.",
      }),
    ),
    missingScopes: Type.Optional(Type.Array(Type.String())),
    rotation: Type.Optional(
      Type.Object(
        {
          replacedBy: Type.String({ description: "The key that replaced this one." }),
          expiresAt: Type.String({ format: "date-time", description: "When this key stops verifying." }),
        },
        { description: "Only while a rotated key is still valid in its grace window: switch to replacedBy." },
      ),
    ),
    rateLimits: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.String(),
          limit: Type.Integer(),
          windowMs: Type.Integer({ description: "The limit's window, for a RateLimit-Policy header." }),
          remaining: Type.Integer({ description: "Units left in the sliding window after this request." }),
          resetAt: Type.String({ format: "date-time", description: "When the current window ends." }),
        }),
        {
          description:
            "When the key has rate limits and passed the other checks: where each charged limit stands.",
        },
      ),
    ),
    quota: Type.Optional(
      Type.Object(
        { remaining: Type.Integer() },
        {
          description: "When the key has a quota and passed the rate limits: the balance after this request.",
        },
      ),
    ),
    degraded: Type.Optional(
      Type.Boolean({
        description:
          "True when the rate limiter was unavailable and the configuration let the request through uncounted.",
      }),
    ),
    identity: Type.Optional(
      Type.Object(
        {
          id: Type.String(),
          externalId: Type.String({ description: "The key's ownerId." }),
          meta: Type.Record(Type.String(), Type.Unknown()),
          rateLimits: Type.Array(
            Type.Object({ name: Type.String(), limit: Type.Integer(), windowMs: Type.Integer() }),
          ),
        },
        {
          description:
            "When the key's owner has an identity: its meta, and its rate limits, shared by all its keys and " +
            "charged with the key's (a key's limit of the same name wins).",
        },
      ),
    ),
  },
  {
    examples: [
      {
        valid: true,
        code: "VALID",
        ...FOUND_KEY_EXAMPLE,
      },
      {
        valid: true,
        code: "VALID",
        ...FOUND_KEY_EXAMPLE,
        expiresAt: "2026-11-29T09:00:00.000Z",
        rotation: { replacedBy: "key_0Vg3bQn7QJ8YHh2xkLmN0b", expiresAt: "2026-11-29T09:00:00.000Z" },
      },
      { valid: false, code: "NOT_FOUND" },
      {
        valid: false,
        code: "INSUFFICIENT_SCOPE",
        ...FOUND_KEY_EXAMPLE,
        missingScopes: ["admin"],
      },
      {
        valid: true,
        code: "VALID",
        ...FOUND_KEY_EXAMPLE,
        roles: ["editor"],
        grantedScopes: [...FOUND_KEY_EXAMPLE.scopes, "documents.write"],
      },
      {
        valid: true,
        code: "VALID",
        ...FOUND_KEY_EXAMPLE,
        rateLimits: [{ name: "requests", limit: 100, windowMs: 60_000, remaining: 57, resetAt }],
        quota: { remaining: 9_499 },
      },
      {
        valid: false,
        code: "RATE_LIMITED",
        ...FOUND_KEY_EXAMPLE,
        rateLimits: [{ name: "requests", limit: 100, windowMs: 60_000, remaining: 0, resetAt }],
        quota: { remaining: 9_499 },
      },
      {
        valid: true,
        code: "VALID",
        ...FOUND_KEY_EXAMPLE,
        degraded: true,
      },
    ],
  },
);

/** A validated verify body. */
export type VerifyRequestBody = Static<typeof VerifyRequest>;

/** A verify answer. */
export type VerifyResponseBody = Static<typeof VerifyResponse>;

/**
 * Verifies a validated body and shapes the answer: the one implementation behind both the Fastify route and the
 * verify fast path, so the two cannot drift. `sourceIp` is the address the HTTP request came from (brute-force
 * counting uses the body's `ip` first, this otherwise).
 */
export async function runVerification(
  keys: KeyService,
  principal: Principal,
  body: VerifyRequestBody,
  sourceIp: string | undefined,
  metrics: VerifyMetrics,
): Promise<VerifyResponseBody> {
  const { key, scopes, ip, cost, rateLimits } = body;
  if (ip !== undefined && isIP(ip) === 0) throw invalidField("/ip", "must be an IPv4 or IPv6 address");
  if (rateLimits !== undefined) refuseRepeatedNames(rateLimits);
  // Timed here, the one place both the Fastify route and the fast path go through.
  const started = performance.now();
  let result: VerifyKeyResult;
  try {
    result = await keys.verifyKey(principal, {
      key,
      ...(scopes === undefined ? {} : { scopes }),
      ...(ip === undefined ? {} : { ip }),
      ...(sourceIp === undefined ? {} : { sourceIp }),
      ...(cost === undefined ? {} : { cost }),
      ...(rateLimits === undefined ? {} : { rateLimits }),
    });
  } catch (error) {
    const code = error instanceof KeywardError ? error.code : "INTERNAL_ERROR";
    metrics.verification(code, (performance.now() - started) / 1000);
    throw error;
  }
  metrics.verification(result.code, (performance.now() - started) / 1000);
  const record = result.key;
  if (record === undefined) return { valid: result.valid, code: result.code };
  // Field order matches the response schema, so JSON.stringify and the schema serializer write the same bytes.
  return {
    valid: result.valid,
    code: result.code,
    keyId: record.id,
    projectId: record.projectId,
    ownerId: record.ownerId,
    name: record.name,
    scopes: record.scopes,
    ...(result.roles === undefined ? {} : { roles: result.roles, grantedScopes: result.grantedScopes }),
    meta: record.meta,
    expiresAt: isoOrNull(record.expiresAt),
    rotationDue: result.rotationDue ?? false,
    ...(result.missingScopes === undefined ? {} : { missingScopes: result.missingScopes }),
    ...(result.rotation === undefined
      ? {}
      : {
          rotation: {
            replacedBy: result.rotation.replacedBy,
            expiresAt: new Date(result.rotation.expiresAt).toISOString(),
          },
        }),
    ...(result.rateLimits === undefined
      ? {}
      : {
          rateLimits: result.rateLimits.map((limit) => ({
            name: limit.name,
            limit: limit.limit,
            windowMs: limit.windowMs,
            remaining: limit.remaining,
            resetAt: isoOfWindowEnd(limit.resetAt),
          })),
        }),
    ...(result.quota === undefined ? {} : { quota: { remaining: result.quota.remaining } }),
    ...(result.degraded === undefined ? {} : { degraded: result.degraded }),
    ...(result.identity === undefined
      ? {}
      : {
          identity: {
            id: result.identity.id,
            externalId: result.identity.externalId,
            meta: result.identity.meta,
            rateLimits: result.identity.rateLimits,
          },
        }),
  };
}

/** Each named limit is one count: naming it twice would charge it twice in one atomic step, which is refused. */
function refuseRepeatedNames(rateLimits: readonly { name: string }[]): void {
  const seen = new Set<string>();
  rateLimits.forEach((limit, index) => {
    if (seen.has(limit.name))
      throw invalidField(`/rateLimits/${index}/name`, "must name each rate limit once");
    seen.add(limit.name);
  });
}

let lastWindowEnd = Number.NaN;
let lastWindowEndIso = "";

/**
 * A window end as ISO 8601, remembering the last one: every verification of a busy limit in one window shares its
 * end, and formatting a date is a measurable share of the verify hot path.
 */
function isoOfWindowEnd(ms: number): string {
  if (ms !== lastWindowEnd) {
    lastWindowEndIso = new Date(ms).toISOString();
    lastWindowEnd = ms;
  }
  return lastWindowEndIso;
}
