import type { Token } from "@keyward/client/types.js";
import type { Field } from "./output.js";

/** The human listing of one admin token record. */
export function tokenFields(token: Token): Field[] {
  return [
    ["id", token.id],
    ["status", token.revokedAt === null ? "active" : "revoked"],
    ["name", token.name],
    ["permissions", token.permissions],
    ["projects", token.projectIds ?? "all"],
    ["start", token.start],
    ["created by", token.createdBy],
    ["created", token.createdAt],
    ["last used", token.lastUsedAt],
    ["revoked", token.revokedAt],
  ];
}
