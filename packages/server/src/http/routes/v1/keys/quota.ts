import { Type } from "typebox";
import type { QuotaAdjustment } from "../../../../limits/rate-limiter.js";
import { MAX_LIMIT_AMOUNT } from "../../../../services/key-input-rules.js";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentKey } from "../../../presenters.js";
import { problems, ref } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";

const amount = (description: string) =>
  Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_LIMIT_AMOUNT, description }));

/** POST /v1/keys/{id}/quota: sets a key's quota balance, or adds to or takes from it. */
export function registerAdjustQuota(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/keys/:id/quota",
    {
      config: { permission: "keys:update" },
      schema: {
        tags: ["keys"],
        summary: "Adjust a key's quota",
        description:
          "Needs `keys:update`. Exactly one of `set`, `increment` or `decrement`, applied atomically to the live " +
          "balance (after any refill that is due); a decrement stops at 0. Returns the key with its new balance. " +
          "A key without a quota (set one with PATCH) or a revoked key is 409 CONFLICT.",
        params: IdParams,
        body: Type.Object(
          {
            set: amount("The new balance."),
            increment: amount("Units to add."),
            decrement: amount("Units to take; the balance stops at 0."),
          },
          {
            additionalProperties: false,
            minProperties: 1,
            maxProperties: 1,
            examples: [{ increment: 1_000 }, { set: 10_000 }, { decrement: 250 }],
          },
        ),
        response: { 200: ref("Key"), ...problems(404, 409, 413, 415, 503) },
      },
    },
    async (request) => {
      // minProperties and maxProperties leave exactly one of the three fields.
      const adjustment = request.body as QuotaAdjustment;
      return presentKey(await deps.keys.adjustQuota(principalOf(request), request.params.id, adjustment));
    },
  );
}
