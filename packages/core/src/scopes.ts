/** Longest scope or permission string accepted. */
export const MAX_SCOPE_LENGTH = 128;

/**
 * True when `scope` is well formed: 1–128 characters from `A-Z a-z 0-9 _ . - : *`, where `*` may only stand
 * alone or as the whole last segment (`a:*`). Checked by a character loop, never a regex.
 */
export function isValidScope(scope: string): boolean {
  if (typeof scope !== "string" || scope.length === 0 || scope.length > MAX_SCOPE_LENGTH) return false;
  for (let i = 0; i < scope.length; i++) {
    const c = scope.charCodeAt(i);
    const allowed =
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 95 ||
      c === 46 ||
      c === 45 ||
      c === 58;
    if (allowed) continue;
    // '*' only as the whole scope or as the last segment after ':'.
    if (c === 42 && i === scope.length - 1 && (i === 0 || scope.charCodeAt(i - 1) === 58)) continue;
    return false;
  }
  return true;
}

/**
 * True when the granted scope satisfies the required one: an exact match, the global wildcard `*`, or a
 * segment wildcard `a:*` covering every scope that starts with `a:` (so `a:*` grants `a:b` and `a:b:c`).
 */
export function scopeGrants(granted: string, required: string): boolean {
  if (granted === required || granted === "*") return true;
  if (granted.length >= 2 && granted.endsWith(":*")) {
    const base = granted.slice(0, -1); // keeps the trailing ':'
    return required.length > base.length && required.startsWith(base);
  }
  return false;
}

/** The required scopes that no granted scope satisfies, in the order they were asked for. */
export function missingScopes(granted: readonly string[], required: readonly string[]): string[] {
  return required.filter((need) => !granted.some((have) => scopeGrants(have, need)));
}
