import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentProject } from "../../../presenters.js";
import { problems, ref } from "../../../route-kit.js";
import { LIMITS } from "../../../schemas.js";

/** POST /v1/projects: creates a project with its own key prefix. */
export function registerCreateProject(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/projects",
    {
      config: { permission: "projects:write" },
      schema: {
        tags: ["projects"],
        summary: "Create a project",
        description: "Needs `projects:write`; a token limited to projects cannot create projects.",
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: LIMITS.nameLength }),
            keyPrefix: Type.Optional(
              Type.String({ minLength: 1, maxLength: 20, description: "[a-z][a-z0-9_]{0,19}; default kw." }),
            ),
          },
          { additionalProperties: false, examples: [{ name: "billing-api", keyPrefix: "bill" }] },
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
