import type { SecretRecord } from "../store/secret-store.js";
import { isoOrNull } from "./presenters.js";

/** A secret as JSON: explicit fields only (the record holds no value, and this adds none). */
export function presentSecret(secret: SecretRecord) {
  return {
    id: secret.id,
    projectId: secret.projectId,
    name: secret.name,
    createdAt: new Date(secret.createdAt).toISOString(),
    updatedAt: new Date(secret.updatedAt).toISOString(),
    createdBy: secret.createdBy,
    lastRevealedAt: isoOrNull(secret.lastRevealedAt),
  };
}
