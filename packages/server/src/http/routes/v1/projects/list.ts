import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentProject } from "../../../presenters.js";
import { problems, ref } from "../../../route-kit.js";
import { PageQuery, PROJECT_EXAMPLE, pageOf } from "../../../schemas.js";

/** GET /v1/projects: the projects this token can see, one page at a time. */
export function registerListProjects(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/projects",
    {
      config: { permission: "projects:read" },
      schema: {
        tags: ["projects"],
        summary: "List projects",
        description: "Needs `projects:read`. Ordered by creation; follow `nextCursor` for the next page.",
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: pageOf(ref("Project"), PROJECT_EXAMPLE), ...problems() },
      },
    },
    async (request) => {
      const page = await deps.projects.listProjects(principalOf(request), request.query);
      return { items: page.items.map(presentProject), nextCursor: page.nextCursor };
    },
  );
}
