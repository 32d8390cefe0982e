import { Type } from "typebox";
import { MAX_EXTERNAL_ID_LENGTH } from "../../../../services/identity-service.js";
import type { IdentityRecord } from "../../../../store/identity-store.js";
import { Meta, RateLimitRules } from "../../../schemas.js";

const exampleTime = "2026-11-28T09:00:00.000Z";

/** An example identity, for the OpenAPI document. */
export const IDENTITY_EXAMPLE = {
  id: "id_Xq0T8cVb2LmN7pQr",
  externalId: "cust_123",
  meta: { plan: "enterprise" },
  rateLimits: [{ name: "requests", limit: 1_000, windowMs: 60_000 }],
  createdAt: exampleTime,
  updatedAt: exampleTime,
};

/** An identity as the API shows it. */
export const IdentitySchema = Type.Object(
  {
    id: Type.String({ description: "`id_…`, derived from the externalId." }),
    externalId: Type.String({ description: "The ownerId of the keys it groups, in every project." }),
    meta: Type.Record(Type.String(), Type.Unknown(), {
      description: "Returned with every verification of its keys.",
    }),
    rateLimits: Type.Array(
      Type.Object({ name: Type.String(), limit: Type.Integer(), windowMs: Type.Integer() }),
      { description: "Shared by all its keys: one count per identity and name." },
    ),
    createdAt: Type.String({ format: "date-time" }),
    updatedAt: Type.String({ format: "date-time" }),
  },
  { examples: [IDENTITY_EXAMPLE] },
);

/** The identity's id or externalId in a path. */
export const IdentityParams = Type.Object({
  id: Type.String({
    minLength: 1,
    maxLength: MAX_EXTERNAL_ID_LENGTH,
    description: "The identity's id (`id_…`) or its externalId (URL-encoded).",
  }),
});

/** The fields a request sets. */
export const IdentityFields = {
  meta: Type.Optional(Meta),
  rateLimits: Type.Optional(RateLimitRules),
};

/** An identity as JSON. */
export function presentIdentity(identity: IdentityRecord) {
  return {
    id: identity.id,
    externalId: identity.externalId,
    meta: identity.meta,
    rateLimits: identity.rateLimits,
    createdAt: new Date(identity.createdAt).toISOString(),
    updatedAt: new Date(identity.updatedAt).toISOString(),
  };
}
