import type { FieldError } from "@keyward/core/keyward-error.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { isValidScope } from "@keyward/core/scopes.js";
import { MAX_LIMIT_WINDOW_PRODUCT } from "@keyward/core/sliding-window.js";

/** Largest `meta` object accepted, in bytes of its JSON. */
export const MAX_META_BYTES = 8 * 1024;
/** Deepest nesting accepted inside `meta`. */
export const MAX_META_DEPTH = 16;

/** Most rate limits one key may have. */
export const MAX_RATE_LIMITS = 10;
/** Shortest and longest rate limit windows. */
export const MIN_WINDOW_MS = 100;
export const MAX_WINDOW_MS = 30 * 86_400_000;
/** Largest rate limit and quota amount: beyond it, counts lose precision in Redis' Lua numbers. */
export const MAX_LIMIT_AMOUNT = 1_000_000_000_000;
/**
 * Largest `limit * windowMs` of one rate limit: the sliding window counts exactly only up to it (see
 * `@keyward/core/sliding-window.ts`); past it every charge would throw.
 */
export const MAX_LIMIT_TIMES_WINDOW_MS = MAX_LIMIT_WINDOW_PRODUCT;
const RATE_LIMIT_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * What is wrong with a limit too large for its window ("must be at most ..."), or null when the sliding window
 * can count `limit` per `windowMs` exactly.
 */
export function limitWindowProblem(limit: number, windowMs: number): string | null {
  if (limit * windowMs <= MAX_LIMIT_TIMES_WINDOW_MS) return null;
  const most = Math.floor(MAX_LIMIT_TIMES_WINDOW_MS / windowMs);
  return `must be at most ${most} with a window of ${windowMs} ms (limit × windowMs at most 2^50); use a quota for larger amounts`;
}

/** Collects domain-level problems with key fields that a JSON schema cannot express. */
export function checkKeyFields(fields: {
  scopes?: readonly string[];
  meta?: unknown;
  rateLimits?: readonly { name: string; limit: number; windowMs: number }[];
  quota?: { remaining: number; refill?: { amount: number; interval: string } | null } | null;
}): FieldError[] {
  const errors: FieldError[] = [];
  checkRateLimits(fields.rateLimits, errors);
  checkQuota(fields.quota, errors);
  fields.scopes?.forEach((scope, index) => {
    if (!isValidScope(scope)) {
      errors.push({
        pointer: `/scopes/${index}`,
        detail:
          "A scope is 1-128 characters of A-Z a-z 0-9 _ . - : and may end in a ':*' wildcard or be '*'.",
      });
    }
  });
  if (fields.meta !== undefined) {
    // Depth first: JSON.stringify recurses, so a hostile 10,000-level value would overflow the stack (a 500).
    if (depthOf(fields.meta) > MAX_META_DEPTH) {
      errors.push({ pointer: "/meta", detail: `meta must nest at most ${MAX_META_DEPTH} levels deep.` });
    } else if (Buffer.byteLength(JSON.stringify(fields.meta), "utf8") > MAX_META_BYTES) {
      errors.push({ pointer: "/meta", detail: `meta must be at most ${MAX_META_BYTES} bytes of JSON.` });
    }
  }
  return errors;
}

function checkRateLimits(
  rules: readonly { name: string; limit: number; windowMs: number }[] | undefined,
  errors: FieldError[],
): void {
  if (rules === undefined) return;
  if (rules.length > MAX_RATE_LIMITS) {
    errors.push({ pointer: "/rateLimits", detail: `A key has at most ${MAX_RATE_LIMITS} rate limits.` });
  }
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    if (!RATE_LIMIT_NAME.test(rule.name)) {
      errors.push({
        pointer: `/rateLimits/${index}/name`,
        detail: "A rate limit name is 1-64 characters of A-Z a-z 0-9 _ . - :.",
      });
    } else if (seen.has(rule.name)) {
      errors.push({
        pointer: `/rateLimits/${index}/name`,
        detail: "Rate limit names must be unique on a key.",
      });
    }
    seen.add(rule.name);
    if (!Number.isSafeInteger(rule.limit) || rule.limit < 1 || rule.limit > MAX_LIMIT_AMOUNT) {
      errors.push({
        pointer: `/rateLimits/${index}/limit`,
        detail: `limit must be a whole number from 1 to ${MAX_LIMIT_AMOUNT}.`,
      });
    }
    if (
      !Number.isSafeInteger(rule.windowMs) ||
      rule.windowMs < MIN_WINDOW_MS ||
      rule.windowMs > MAX_WINDOW_MS
    ) {
      errors.push({
        pointer: `/rateLimits/${index}/windowMs`,
        detail: `windowMs must be a whole number from ${MIN_WINDOW_MS} to ${MAX_WINDOW_MS} (30 days).`,
      });
    } else if (Number.isSafeInteger(rule.limit) && rule.limit >= 1 && rule.limit <= MAX_LIMIT_AMOUNT) {
      const problem = limitWindowProblem(rule.limit, rule.windowMs);
      if (problem !== null)
        errors.push({ pointer: `/rateLimits/${index}/limit`, detail: `limit ${problem}.` });
    }
  });
}

function checkQuota(
  quota: { remaining: number; refill?: { amount: number; interval: string } | null } | null | undefined,
  errors: FieldError[],
): void {
  if (quota == null) return;
  if (!Number.isSafeInteger(quota.remaining) || quota.remaining < 0 || quota.remaining > MAX_LIMIT_AMOUNT) {
    errors.push({
      pointer: "/quota/remaining",
      detail: `remaining must be a whole number from 0 to ${MAX_LIMIT_AMOUNT}.`,
    });
  }
  const refill = quota.refill;
  if (refill == null) return;
  if (!Number.isSafeInteger(refill.amount) || refill.amount < 1 || refill.amount > MAX_LIMIT_AMOUNT) {
    errors.push({
      pointer: "/quota/refill/amount",
      detail: `amount must be a whole number from 1 to ${MAX_LIMIT_AMOUNT}.`,
    });
  }
  if (refill.interval !== "day" && refill.interval !== "month") {
    errors.push({ pointer: "/quota/refill/interval", detail: 'interval must be "day" or "month".' });
  }
}

/** Throws VALIDATION_ERROR naming every field when there are problems. */
export function throwIfInvalid(errors: FieldError[]): void {
  if (errors.length > 0) {
    throw new KeywardError("VALIDATION_ERROR", errors.map((e) => e.detail).join(" "), { errors });
  }
}

/** Nesting depth of a JSON value, computed without recursion so hostile input cannot overflow the stack. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; depth: number };
    if (item.value === null || typeof item.value !== "object") continue;
    const depth = item.depth + 1;
    if (depth > deepest) deepest = depth;
    if (depth > MAX_META_DEPTH) return depth;
    for (const child of Object.values(item.value)) stack.push({ value: child, depth });
  }
  return deepest;
}
