import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentProject } from "../../../presenters.js";
import { problems, ref } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";

/** GET /v1/projects/{id}: one project. */
export function registerGetProject(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/projects/:id",
    {
      config: { permission: "projects:read" },
      schema: {
        tags: ["projects"],
        summary: "Get a project",
        description: "Needs `projects:read`.",
        params: IdParams,
        response: { 200: ref("Project"), ...problems(404) },
      },
    },
    async (request) =>
      presentProject(await deps.projects.getProject(principalOf(request), request.params.id)),
  );
}
