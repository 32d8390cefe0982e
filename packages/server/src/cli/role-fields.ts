import type { Role } from "@keyward/client/types.js";
import type { Field } from "./output.js";

/** The human listing of one role: its permissions by slug. */
export function roleFields(role: Role): Field[] {
  return [
    ["id", role.id],
    ["name", role.name],
    ["description", role.description],
    ["permissions", role.permissions.map((permission) => permission.slug)],
    ["created", role.createdAt],
    ["updated", role.updatedAt],
  ];
}
