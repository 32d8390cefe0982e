import type { Secret } from "@keyward/client/types.js";
import type { Field } from "./output.js";

/** The human listing of one secret's metadata (never its value). */
export function secretFields(secret: Secret): Field[] {
  return [
    ["id", secret.id],
    ["name", secret.name],
    ["project", secret.projectId],
    ["created", secret.createdAt],
    ["updated", secret.updatedAt],
    ["created by", secret.createdBy],
    ["last revealed", secret.lastRevealedAt ?? "never"],
  ];
}
