import { type TSchema, Type } from "typebox";
import { SECRET_LIMITS } from "../services/secret-service.js";

/** A reference to a secret component registered with `app.addSchema`. */
export function secretRef(name: "Secret" | "RevealedSecret" | "RevealedKey"): TSchema {
  return Type.Unsafe({ $ref: `${name}#` });
}

/** A secret's name in a request body; the service checks its characters. */
export const SecretName = Type.String({
  minLength: 1,
  maxLength: SECRET_LIMITS.nameLength,
  description:
    "Unique in the project: letters, digits and _, then also - and . (such as STRIPE_API_KEY or openai.prod).",
});

/**
 * A secret's value in a request body. The schema bounds characters; the service then checks the 8 KiB in UTF-8
 * bytes, which a value of multi-byte characters reaches before this bound.
 */
export const SecretValue = Type.String({
  minLength: 1,
  maxLength: SECRET_LIMITS.valueBytes,
  description:
    "The credential, 1 byte to 8 KiB of UTF-8. Stored sealed; never shown again except by a reveal.",
});

const exampleTime = "2026-11-28T09:00:00.000Z";

/** An example secret, for the OpenAPI document. */
export const SECRET_EXAMPLE = {
  id: "sec_0Vg3gT7n2Lq9Pz3RtYu4Ab",
  projectId: "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4",
  name: "STRIPE_API_KEY",
  createdAt: exampleTime,
  updatedAt: exampleTime,
  createdBy: "tok_0Vg3cW8n2Lq9Pz3RtYu4Ab",
  lastRevealedAt: null,
};

/** An example value (not a real credential), for the OpenAPI document. */
export const SECRET_VALUE_EXAMPLE = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";

const timestamp = (description: string) => Type.String({ format: "date-time", description });

const secretProperties = {
  id: Type.String(),
  projectId: Type.String(),
  name: Type.String(),
  createdAt: timestamp("When the secret was stored."),
  updatedAt: timestamp("When its value was last set."),
  createdBy: Type.Union([Type.String(), Type.Null()], { description: "The admin token that stored it." }),
  lastRevealedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
    description: "When its value was last revealed, or null.",
  }),
};

/** A secret as the API lists it: metadata only, never the value. */
export const SecretSchema = Type.Object(secretProperties, { $id: "Secret", examples: [SECRET_EXAMPLE] });

/** A secret with its value, as a reveal returns it (with `Cache-Control: no-store`). */
export const RevealedSecretSchema = Type.Object(
  { ...secretProperties, value: Type.String({ description: "The secret's value." }) },
  {
    $id: "RevealedSecret",
    examples: [{ ...SECRET_EXAMPLE, lastRevealedAt: exampleTime, value: SECRET_VALUE_EXAMPLE }],
  },
);

/** A recoverable key's plaintext, as its reveal returns it (with `Cache-Control: no-store`). */
export const RevealedKeySchema = Type.Object(
  {
    id: Type.String(),
    key: Type.String({
      description: "The key's plaintext, kept sealed because its project has recoverableKeys.",
    }),
  },
  {
    $id: "RevealedKey",
    examples: [{ id: "key_0Vg3bQ1n2Lq9Pz3RtYu4Ab", key: "bill_3ZyXw9VuTsRqPoNmLkJiHgFeDcBa5xyz" }],
  },
);

/** The secret components, registered once by the app. */
export const SECRET_SCHEMAS: readonly TSchema[] = [SecretSchema, RevealedSecretSchema, RevealedKeySchema];
