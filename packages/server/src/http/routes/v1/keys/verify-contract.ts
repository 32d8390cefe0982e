import { isIP } from "node:net";
import { invalidField } from "@keyward/core/keyward-error.js";
import { type Static, Type } from "typebox";
import type { KeyService } from "../../../../services/key-service.js";
import type { Principal } from "../../../../services/principal.js";
import { isoOrNull } from "../../../presenters.js";
import { KEY_EXAMPLE, LIMITS, Scopes } from "../../../schemas.js";

/** The body of POST /v1/keys/verify. */
export const VerifyRequest = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: LIMITS.keyLength, description: "The key to check." }),
    scopes: Type.Optional(Scopes),
    ip: Type.Optional(Type.String({ minLength: 2, maxLength: 64, description: "The caller's IP address." })),
  },
  {
    additionalProperties: false,
    examples: [
      {
        key: "kw_3Fh9xq0T8cVb2LmN7pQr5sKd1Wz4Ye6uJa9Hg0Bf3Cx7Mv0tO2iZ1r4Ag5",
        scopes: ["orders:read"],
      },
    ],
  },
);

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
      Type.Literal("INSUFFICIENT_SCOPE"),
    ]),
    keyId: Type.Optional(Type.String()),
    projectId: Type.Optional(Type.String()),
    ownerId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    scopes: Type.Optional(Type.Array(Type.String())),
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
  },
  {
    examples: [
      {
        valid: true,
        code: "VALID",
        keyId: KEY_EXAMPLE.id,
        projectId: KEY_EXAMPLE.projectId,
        ownerId: KEY_EXAMPLE.ownerId,
        name: KEY_EXAMPLE.name,
        scopes: KEY_EXAMPLE.scopes,
        meta: KEY_EXAMPLE.meta,
        expiresAt: KEY_EXAMPLE.expiresAt,
        rotationDue: false,
      },
      {
        valid: true,
        code: "VALID",
        keyId: KEY_EXAMPLE.id,
        projectId: KEY_EXAMPLE.projectId,
        ownerId: KEY_EXAMPLE.ownerId,
        name: KEY_EXAMPLE.name,
        scopes: KEY_EXAMPLE.scopes,
        meta: KEY_EXAMPLE.meta,
        expiresAt: "2026-11-29T09:00:00.000Z",
        rotationDue: false,
        rotation: { replacedBy: "key_0Vg3bQn7QJ8YHh2xkLmN0b", expiresAt: "2026-11-29T09:00:00.000Z" },
      },
      { valid: false, code: "NOT_FOUND" },
      {
        valid: false,
        code: "INSUFFICIENT_SCOPE",
        keyId: KEY_EXAMPLE.id,
        projectId: KEY_EXAMPLE.projectId,
        ownerId: KEY_EXAMPLE.ownerId,
        name: KEY_EXAMPLE.name,
        scopes: KEY_EXAMPLE.scopes,
        meta: KEY_EXAMPLE.meta,
        expiresAt: KEY_EXAMPLE.expiresAt,
        rotationDue: false,
        missingScopes: ["admin"],
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
 * verify fast path, so the two cannot drift.
 */
export async function runVerification(
  keys: KeyService,
  principal: Principal,
  body: VerifyRequestBody,
): Promise<VerifyResponseBody> {
  const { key, scopes, ip } = body;
  if (ip !== undefined && isIP(ip) === 0) throw invalidField("/ip", "must be an IPv4 or IPv6 address");
  const result = await keys.verifyKey(principal, {
    key,
    ...(scopes === undefined ? {} : { scopes }),
    ...(ip === undefined ? {} : { ip }),
  });
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
  };
}
