import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import {
  CatalogueDescription,
  CatalogueName,
  PermissionSchema,
  PermissionSlug,
  presentPermission,
} from "./permission-schemas.js";

/** POST /v1/permissions: adds a permission to the instance's catalogue. */
export function registerCreatePermission(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/permissions",
    {
      config: { permission: "rbac:write" },
      schema: {
        tags: ["rbac"],
        summary: "Create a permission",
        description:
          "Needs `rbac:write` on every project (the catalogue is instance-wide). Its id is derived from `slug` " +
          "(`perm_` + 16 hex digits of its SHA-256); a slug that exists is a 409. Keys may hold any scope " +
          "without a catalogue entry; roles grant catalogue permissions.",
        body: Type.Object(
          { slug: PermissionSlug, name: CatalogueName, description: Type.Optional(CatalogueDescription) },
          {
            additionalProperties: false,
            examples: [
              { slug: "documents.read", name: "Read documents", description: "Reads any document." },
            ],
          },
        ),
        response: { 201: PermissionSchema, ...problems(409, 413, 415) },
      },
    },
    async (request, reply) => {
      const permission = await deps.keyRoles.createPermission(principalOf(request), request.body);
      return reply.status(201).send(presentPermission(permission));
    },
  );
}
