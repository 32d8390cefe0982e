import type { SessionRecord, UserRecord } from "../store/user-store.js";
import { isoOrNull } from "./presenters.js";

/** A user as JSON: explicit fields only (the record holds no password hash or TOTP secret, and this adds none). */
export function presentUser(user: UserRecord) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    roles: user.roles.map((binding) => ({ role: binding.role, projectId: binding.projectId })),
    twoFactorEnabled: user.twoFactorEnabled,
    hasPassword: user.hasPassword,
    createdBy: user.createdBy,
    createdAt: new Date(user.createdAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
  };
}

/**
 * A session as JSON: explicit fields only (the record holds only the secret's digest, and this shows not even
 * that). `currentSessionId` is the caller's own session, marked `current`.
 */
export function presentSession(session: SessionRecord, currentSessionId: string | null) {
  return {
    id: session.id,
    kind: session.kind,
    createdAt: new Date(session.createdAt).toISOString(),
    lastSeenAt: new Date(session.lastSeenAt).toISOString(),
    expiresAt: new Date(session.expiresAt).toISOString(),
    secondFactorAt: isoOrNull(session.secondFactorAt),
    revokedAt: isoOrNull(session.revokedAt),
    sourceIp: session.sourceIp,
    userAgent: session.userAgent,
    current: session.id === currentSessionId,
  };
}
