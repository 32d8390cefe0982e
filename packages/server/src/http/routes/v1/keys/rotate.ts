import { Type } from "typebox";
import { DEFAULT_GRACE_PERIOD_SECONDS, MAX_GRACE_PERIOD_SECONDS } from "../../../../services/key-service.js";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentKey } from "../../../presenters.js";
import { emptyBodyAsObject, problems, ref } from "../../../route-kit.js";
import { IdParams, KEY_EXAMPLE, KeySchema } from "../../../schemas.js";

const REPLACEMENT_ID = "key_0Vg3bQn7QJ8YHh2xkLmN0b";
const rotatedAt = "2026-12-01T09:00:00.000Z";

const RotatedKey = Type.Object(
  {
    key: Type.String({
      description: "The replacement's plaintext key. Shown once: Keyward keeps only a digest.",
    }),
    ...KeySchema.properties,
    previous: Type.Unsafe({
      ...ref("Key"),
      description: "The rotated key, now with `replacedBy` and the expiresAt that ends its grace window.",
    }),
  },
  {
    examples: [
      {
        key: "kw_7Kd2mR9pXw4Nc1Vb8Lq3Hs6Ty0Ua5Ze2Gf9Jx4Bn7Mc1Pd8Qr3Sv6Wt0Yk",
        ...KEY_EXAMPLE,
        id: REPLACEMENT_ID,
        start: "kw_7Kd2",
        createdAt: rotatedAt,
        updatedAt: rotatedAt,
        replaces: KEY_EXAMPLE.id,
        previous: {
          ...KEY_EXAMPLE,
          updatedAt: rotatedAt,
          expiresAt: "2026-12-02T09:00:00.000Z",
          replacedBy: REPLACEMENT_ID,
        },
      },
    ],
  },
);

/** POST /v1/keys/{id}/rotate: replaces a key with a new one; the old key keeps working for a grace period. */
export function registerRotateKey(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/keys/:id/rotate",
    {
      config: { permission: "keys:rotate" },
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ["keys"],
        summary: "Rotate a key",
        description:
          "Needs `keys:rotate`. Issues a replacement with the same project, owner, name, scopes, meta, enabled " +
          "state and lifetime (within the project's `maxLifetime`), and returns its plaintext once. The old key " +
          "keeps verifying for `gracePeriodSeconds` (or until its own expiry, if sooner), answering with " +
          "`rotation` so callers can switch, then is EXPIRED. A revoked key (409 CONFLICT) or a key rotated " +
          "already (409 KEY_ALREADY_ROTATED: rotate its replacement) cannot be rotated. The body is optional.",
        params: IdParams,
        body: Type.Object(
          {
            gracePeriodSeconds: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: MAX_GRACE_PERIOD_SECONDS,
                description:
                  `How long the old key keeps working, in seconds: 0 (at once) to ${MAX_GRACE_PERIOD_SECONDS} ` +
                  `(30 days); default ${DEFAULT_GRACE_PERIOD_SECONDS} (24 hours).`,
              }),
            ),
          },
          {
            additionalProperties: false,
            examples: [{ gracePeriodSeconds: 86_400 }, { gracePeriodSeconds: 0 }],
          },
        ),
        response: { 201: RotatedKey, ...problems(404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const rotated = await deps.keys.rotateKey(principalOf(request), request.params.id, request.body);
      return reply.status(201).send({
        key: rotated.key,
        ...presentKey(rotated.record),
        previous: presentKey(rotated.previous),
      });
    },
  );
}
