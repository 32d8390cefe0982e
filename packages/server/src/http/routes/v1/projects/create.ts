import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentProject } from "../../../presenters.js";
import { problems, ref } from "../../../route-kit.js";
import { LIMITS, REQUIRE_2FA_DESCRIPTION } from "../../../schemas.js";

/** POST /v1/projects: creates a project with its own key prefix. */
export function registerCreateProject(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/projects",
    {
      config: { permission: "projects:write" },
      schema: {
        tags: ["projects"],
        summary: "Create a project",
        description:
          "Needs `projects:write`; a token limited to projects cannot create projects. `require2fa` makes " +
          "two-factor authentication a condition of every user role in the project.",
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: LIMITS.nameLength }),
            keyPrefix: Type.Optional(
              Type.String({ minLength: 1, maxLength: 20, description: "[a-z][a-z0-9_]{0,19}; default kw." }),
            ),
            require2fa: Type.Optional(Type.Boolean({ description: REQUIRE_2FA_DESCRIPTION })),
          },
          {
            additionalProperties: false,
            examples: [
              { name: "billing-api", keyPrefix: "bill" },
              { name: "payments", keyPrefix: "pay", require2fa: true },
            ],
          },
        ),
        response: { 201: ref("Project"), ...problems(413, 415) },
      },
    },
    async (request, reply) => {
      const project = await deps.projects.createProject(principalOf(request), request.body);
      return reply.status(201).send(presentProject(project));
    },
  );
}
