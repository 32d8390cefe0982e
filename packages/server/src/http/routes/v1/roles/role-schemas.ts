import { MAX_PERMISSIONS_PER_ROLE } from "@keyward/core/key-roles.js";
import { Type } from "typebox";
import type { RoleRecord } from "../../../../store/key-role-store.js";
import {
  PERMISSION_EXAMPLE,
  PermissionProperties,
  PermissionSlug,
  presentPermission,
} from "../permissions/permission-schemas.js";

const exampleTime = "2026-11-28T09:00:00.000Z";

/** An example role, for the OpenAPI document. */
export const ROLE_EXAMPLE = {
  id: "role_0Vg3dQ1n2Lq9Pz3RtYu4Ab",
  name: "editor",
  description: "Reads and writes documents.",
  permissions: [PERMISSION_EXAMPLE],
  createdAt: exampleTime,
  updatedAt: exampleTime,
};

/** A role and its permissions. */
export const RoleSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    permissions: Type.Array(Type.Object(PermissionProperties)),
    createdAt: Type.String({ format: "date-time" }),
    updatedAt: Type.String({ format: "date-time", description: "When its permissions last changed." }),
  },
  { examples: [ROLE_EXAMPLE] },
);

/** A role's permissions as a request gives them: slugs. */
export const RolePermissionSlugs = Type.Array(PermissionSlug, {
  maxItems: MAX_PERMISSIONS_PER_ROLE,
  description: "Permission slugs; those not in the catalogue yet are added to it.",
});

/** A role as JSON. */
export function presentRole(role: RoleRecord) {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    permissions: role.permissions.map(presentPermission),
    createdAt: new Date(role.createdAt).toISOString(),
    updatedAt: new Date(role.updatedAt).toISOString(),
  };
}
