import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentToken } from "../../../presenters.js";
import { problems } from "../../../route-kit.js";
import { LIMITS, PermissionList, TOKEN_EXAMPLE, TokenSchema } from "../../../schemas.js";

const CreatedToken = Type.Object(
  {
    token: Type.String({ description: "The plaintext token. Shown once: Keyward keeps only a digest." }),
    ...TokenSchema.properties,
  },
  {
    examples: [
      { token: "kwr_9dQeW2n7QJ8YHh2xkLmN0aB4cD6eF8gH0iJ2kL4mN6oP8qR0sT2uV4wX6yZ", ...TOKEN_EXAMPLE },
    ],
  },
);

/** POST /v1/tokens: mints an admin token with at most the caller's own permissions. */
export function registerCreateToken(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/tokens",
    {
      config: { permission: "tokens:write" },
      schema: {
        tags: ["tokens"],
        summary: "Create an admin token",
        description:
          "Needs `tokens:write`. A token can only mint tokens with permissions it holds itself, and a token " +
          "limited to projects only tokens limited to (some of) those projects. Returns the plaintext once. " +
          "Unkey root key permission names (`api.*.create_key`, `api.<apiId>.read_key`, `ratelimit.*.limit`, …) " +
          "are accepted and stored as the Keyward permissions they map to (see docs/migrate-from-unkey.md); " +
          "`api.<apiId>` names limit the token to those projects, and `projectIds`, if given, must list the same.",
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: LIMITS.nameLength }),
            permissions: PermissionList,
            projectIds: Type.Optional(
              Type.Union([
                Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.idLength }), {
                  minItems: 1,
                  maxItems: LIMITS.projectIds,
                }),
                Type.Null(),
              ]),
            ),
          },
          {
            additionalProperties: false,
            examples: [
              {
                name: "ci-deployer",
                permissions: ["keys:create", "keys:read"],
                projectIds: ["proj_0Vg3aZk2Ww1Lq9Pz3RtYu4"],
              },
            ],
          },
        ),
        response: { 201: CreatedToken, ...problems(413, 415) },
      },
    },
    async (request, reply) => {
      const created = await deps.tokens.createToken(principalOf(request), request.body);
      return reply.status(201).send({ token: created.token, ...presentToken(created.record) });
    },
  );
}
