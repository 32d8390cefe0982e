import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentOverride } from "../../../presenters.js";
import { problems } from "../../../route-kit.js";
import { PageQuery } from "../../../schemas.js";
import {
  MAX_OVERRIDE_CURSOR_LENGTH,
  Namespace,
  OVERRIDE_EXAMPLE,
  OverrideSchema,
} from "./ratelimit-schemas.js";

const OverridePage = Type.Object(
  { items: Type.Array(OverrideSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) },
  {
    examples: [
      {
        items: [OVERRIDE_EXAMPLE],
        nextCursor: Buffer.from(OVERRIDE_EXAMPLE.identifier, "utf8").toString("base64url"),
      },
    ],
  },
);

/** GET /v1/ratelimit/overrides: the overrides of one namespace, in identifier order. */
export function registerListOverrides(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/ratelimit/overrides",
    {
      config: { permission: "ratelimit:read" },
      schema: {
        tags: ["ratelimit"],
        summary: "List rate limit overrides",
        description:
          "Needs `ratelimit:read`. The overrides of `namespace`, ordered by identifier; follow `nextCursor` for " +
          "the next page.",
        querystring: Type.Object(
          {
            namespace: Namespace,
            limit: PageQuery.limit,
            cursor: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: MAX_OVERRIDE_CURSOR_LENGTH,
                description: "nextCursor from the previous page.",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: OverridePage, ...problems() },
      },
    },
    async (request) => {
      const { namespace, ...page } = request.query;
      const listed = await deps.ratelimits.listOverrides(principalOf(request), namespace, page);
      return { items: listed.items.map(presentOverride), nextCursor: listed.nextCursor };
    },
  );
}
