import { addDuration, type Duration, parseDuration, subtractDuration } from "./duration.js";
import { type FieldError, invalidField, KeywardError } from "./keyward-error.js";

/** A project's key lifecycle policies, parsed. Absent = no such policy. */
export interface KeyPolicies {
  /** Every key must expire no later than its creation plus this. */
  maxLifetime?: Duration;
  /** Keys older than this are due for rotation. */
  rotationPeriod?: Duration;
  /** Keys unused (since last use, else creation) for this long are revoked. */
  inactivityRevocation?: Duration;
  /** How long before expiry the key.expiring event fires. */
  expiryNotice: Duration;
}

/** The expiry notice a project gets when it sets none: seven days. */
export const DEFAULT_EXPIRY_NOTICE: Duration = Object.freeze({
  years: 0,
  months: 0,
  weeks: 0,
  days: 7,
  hours: 0,
  minutes: 0,
  seconds: 0,
});

/** The stored form: ISO 8601 strings, as the API accepts and returns them. */
export interface KeyPolicySettings {
  maxLifetime?: string;
  rotationPeriod?: string;
  inactivityRevocation?: string;
  expiryNotice?: string;
}

/** The name of every key policy, in the order they are checked and reported. */
export const KEY_POLICY_NAMES = [
  "maxLifetime",
  "rotationPeriod",
  "inactivityRevocation",
  "expiryNotice",
] as const;

const INVALID_DURATION = "must be an ISO 8601 duration such as P90D";

/** Parses stored policy settings; throws one VALIDATION_ERROR naming every setting that is not a valid duration. */
export function parseKeyPolicies(settings: KeyPolicySettings): KeyPolicies {
  const policies: KeyPolicies = { expiryNotice: DEFAULT_EXPIRY_NOTICE };
  const errors: FieldError[] = [];
  for (const name of KEY_POLICY_NAMES) {
    const text = settings[name];
    if (text === undefined) continue;
    const parsed = parseDuration(text);
    if (parsed === null) errors.push({ pointer: `/policies/${name}`, detail: INVALID_DURATION });
    else policies[name] = parsed;
  }
  const [first] = errors;
  if (first === undefined) return policies;
  if (errors.length === 1) throw invalidField(first.pointer, first.detail);
  const subjects = errors.map((error) => error.pointer.slice(1)).join(", ");
  throw new KeywardError("VALIDATION_ERROR", `${subjects} must be ISO 8601 durations such as P90D.`, {
    errors,
  });
}

/** The latest expiry a key created at createdAtMs may have, or null when there is no maximum. */
export function latestAllowedExpiry(createdAtMs: number, policies: KeyPolicies): number | null {
  return policies.maxLifetime === undefined ? null : addDuration(createdAtMs, policies.maxLifetime);
}

/**
 * The expiry a new key gets: the requested one, or createdAt + maxLifetime when none is requested and a maximum
 * exists. Does not check the maximum.
 */
export function defaultExpiry(
  createdAtMs: number,
  requestedExpiresAt: number | null | undefined,
  policies: KeyPolicies,
): number | null {
  return requestedExpiresAt ?? latestAllowedExpiry(createdAtMs, policies);
}

/*
 * Ages are measured back from now (createdAt <= now - period) rather than forward from the key
 * (createdAt + period <= now): the two differ only around month ends, and measuring from now gives one cutoff
 * instant per policy, which the scheduler's store queries use as an exact, indexable bound.
 */

/** Keys created at or before this instant are due for rotation; null without a rotation period. */
export function rotationDueCutoff(policies: KeyPolicies, nowMs: number): number | null {
  return policies.rotationPeriod === undefined ? null : subtractDuration(nowMs, policies.rotationPeriod);
}

/** Keys last used (or, never used, created) at or before this instant are inactive; null without the policy. */
export function inactivityCutoff(policies: KeyPolicies, nowMs: number): number | null {
  return policies.inactivityRevocation === undefined
    ? null
    : subtractDuration(nowMs, policies.inactivityRevocation);
}

/** Keys expiring after now and at or before this instant are due their expiry notice. */
export function expiryNoticeHorizon(policies: KeyPolicies, nowMs: number): number {
  return addDuration(nowMs, policies.expiryNotice);
}

/**
 * True when the key is at least as old as the rotation period (createdAt <= now - rotationPeriod), is not
 * revoked and has not been replaced.
 */
export function isRotationDue(
  key: { createdAt: number; revokedAt: number | null; replacedBy: string | null },
  policies: KeyPolicies,
  nowMs: number,
): boolean {
  const cutoff = rotationDueCutoff(policies, nowMs);
  if (cutoff === null || key.revokedAt !== null || key.replacedBy !== null) return false;
  return key.createdAt <= cutoff;
}

/**
 * True when the key has gone unused for the inactivity period: (lastUsedAt ?? createdAt) <= now -
 * inactivityRevocation; false without the policy or when already revoked.
 */
export function isInactive(
  key: { createdAt: number; lastUsedAt: number | null; revokedAt: number | null },
  policies: KeyPolicies,
  nowMs: number,
): boolean {
  const cutoff = inactivityCutoff(policies, nowMs);
  if (cutoff === null || key.revokedAt !== null) return false;
  return (key.lastUsedAt ?? key.createdAt) <= cutoff;
}

/**
 * True when the expiry notice is due: the key is not revoked and expires after now but at or before now +
 * expiryNotice.
 */
export function isExpiryNoticeDue(
  key: { expiresAt: number | null; revokedAt: number | null },
  policies: KeyPolicies,
  nowMs: number,
): boolean {
  // A revoked key will never expire in use, so warning its owner would only be noise.
  if (key.expiresAt === null || key.revokedAt !== null || key.expiresAt <= nowMs) return false;
  return key.expiresAt <= expiryNoticeHorizon(policies, nowMs);
}
