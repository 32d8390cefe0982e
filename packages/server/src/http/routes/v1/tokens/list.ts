import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentToken } from "../../../presenters.js";
import { problems, ref } from "../../../route-kit.js";
import { PageQuery, pageOf, TOKEN_EXAMPLE } from "../../../schemas.js";

/** GET /v1/tokens: admin tokens (never their secrets), one page at a time. */
export function registerListTokens(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/tokens",
    {
      config: { permission: "tokens:read" },
      schema: {
        tags: ["tokens"],
        summary: "List admin tokens",
        description: "Needs `tokens:read`. Ordered by creation; follow `nextCursor` for the next page.",
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: pageOf(ref("Token"), TOKEN_EXAMPLE), ...problems() },
      },
    },
    async (request) => {
      const page = await deps.tokens.listTokens(principalOf(request), request.query);
      return { items: page.items.map(presentToken), nextCursor: page.nextCursor };
    },
  );
}
