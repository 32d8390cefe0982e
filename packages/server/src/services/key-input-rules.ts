import type { FieldError } from "@keyward/core/keyward-error.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { isValidScope } from "@keyward/core/scopes.js";

/** Largest `meta` object accepted, in bytes of its JSON. */
export const MAX_META_BYTES = 8 * 1024;
/** Deepest nesting accepted inside `meta`. */
export const MAX_META_DEPTH = 16;

/** Collects domain-level problems with key fields that a JSON schema cannot express. */
export function checkKeyFields(fields: { scopes?: readonly string[]; meta?: unknown }): FieldError[] {
  const errors: FieldError[] = [];
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
