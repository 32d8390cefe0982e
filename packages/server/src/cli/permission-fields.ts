import type { Permission } from "@keyward/client/types.js";
import type { Field } from "./output.js";

/** The human listing of one catalogue permission. */
export function permissionFields(permission: Permission): Field[] {
  return [
    ["id", permission.id],
    ["slug", permission.slug],
    ["name", permission.name],
    ["description", permission.description],
    ["created", permission.createdAt],
  ];
}
