import { Type } from "typebox";
import { MAX_IDENTITY_SEARCH_LENGTH } from "../../../../services/identity-service.js";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { PageQuery } from "../../../schemas.js";
import { IDENTITY_EXAMPLE, IdentitySchema, presentIdentity } from "./identity-schemas.js";

/** GET /v1/identities: identities in externalId order. */
export function registerListIdentities(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/identities",
    {
      config: { permission: "identities:read" },
      schema: {
        tags: ["identities"],
        summary: "List identities",
        description:
          "Needs `identities:read`. Ordered by externalId; `search` keeps those whose id or externalId contains " +
          "it, ignoring case. Follow `nextCursor` for the next page.",
        querystring: Type.Object(
          { search: Type.Optional(Type.String({ maxLength: MAX_IDENTITY_SEARCH_LENGTH })), ...PageQuery },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { items: Type.Array(IdentitySchema), nextCursor: Type.Union([Type.String(), Type.Null()]) },
            { examples: [{ items: [IDENTITY_EXAMPLE], nextCursor: "Y3VzdF8xMjM" }] },
          ),
          ...problems(),
        },
      },
    },
    async (request) => {
      const page = await deps.identities.listIdentities(principalOf(request), request.query);
      return { items: page.items.map(presentIdentity), nextCursor: page.nextCursor };
    },
  );
}
