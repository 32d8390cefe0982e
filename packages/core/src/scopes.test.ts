import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidScope, MAX_SCOPE_LENGTH, missingScopes, scopeGrants } from "./scopes.js";

const SCOPE_CHARS = [
  ..."abcdefghijklmnopqrstuvwxyz",
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  ..."0123456789",
  "_",
  ".",
  "-",
  ":",
];

/** Scopes without wildcards: 1-128 characters of the allowed alphabet. */
const plainScope = fc.string({
  unit: fc.constantFrom(...SCOPE_CHARS),
  minLength: 1,
  maxLength: MAX_SCOPE_LENGTH,
});

/** Every shape of valid scope: plain, `*`, or a base ending in `:` followed by `*`. */
const validScope = fc.oneof(
  plainScope,
  fc.constant("*"),
  fc
    .string({ unit: fc.constantFrom(...SCOPE_CHARS), minLength: 0, maxLength: MAX_SCOPE_LENGTH - 2 })
    .map((base) => `${base}:*`),
);

describe("isValidScope()", () => {
  it("accepts 1 to 128 characters of A-Z a-z 0-9 _ . - :", () => {
    for (const scope of ["a", "orders:read", "Billing.Invoices-2026_v1:write", "a:b:c:d", "x".repeat(128)]) {
      expect(isValidScope(scope), scope).toBe(true);
    }
  });

  it("rejects the empty string and anything longer than 128 characters", () => {
    expect(isValidScope("")).toBe(false);
    expect(isValidScope("x".repeat(129))).toBe(false);
    expect(isValidScope(`${"x".repeat(127)}:*`)).toBe(false);
  });

  it("rejects characters outside the alphabet", () => {
    for (const scope of [
      "a b",
      "a/b",
      "a,b",
      "é",
      "a\n",
      "orders:read\u0000",
      "🔑",
      "a=b",
      "a+b",
      "a?",
      "a*b",
    ]) {
      expect(isValidScope(scope), JSON.stringify(scope)).toBe(false);
    }
  });

  it("accepts * alone or as the whole last segment", () => {
    for (const scope of ["*", "a:*", "orders:invoices:*", "a.b-c_d:*"]) {
      expect(isValidScope(scope), scope).toBe(true);
    }
  });

  it("rejects * anywhere else: inside a segment, before the end, twice", () => {
    for (const scope of ["a*", "*a", "a:b*", "a:*b", "*:a", "a:*:b", "**", "a:**", "*:*", "a.*", "a-*"]) {
      expect(isValidScope(scope), scope).toBe(false);
    }
  });

  it("rejects values that are not strings without throwing", () => {
    for (const value of [null, undefined, 42, ["a"], { scope: "a" }]) {
      expect(isValidScope(value as unknown as string)).toBe(false);
    }
  });

  it("accepts every generated valid scope", () => {
    fc.assert(fc.property(validScope, (scope) => isValidScope(scope)));
  });
});

describe("scopeGrants()", () => {
  it("grants an exact match, and is case-sensitive", () => {
    expect(scopeGrants("orders:read", "orders:read")).toBe(true);
    expect(scopeGrants("orders:read", "orders:write")).toBe(false);
    expect(scopeGrants("orders:read", "Orders:read")).toBe(false);
    expect(scopeGrants("orders:read", "orders:read:all")).toBe(false);
    expect(scopeGrants("orders:read", "orders")).toBe(false);
  });

  it("lets * grant every scope, wildcards included", () => {
    for (const required of ["a", "a:b", "a:b:c", "a:*", "*"]) {
      expect(scopeGrants("*", required), required).toBe(true);
    }
  });

  it("lets a:* grant a:b and a:b:c, but not a, a:, ab:c or b:a", () => {
    expect(scopeGrants("a:*", "a:b")).toBe(true);
    expect(scopeGrants("a:*", "a:b:c")).toBe(true);
    expect(scopeGrants("a:*", "a:b:*")).toBe(true);
    expect(scopeGrants("a:*", "a:*")).toBe(true);
    expect(scopeGrants("a:*", "a")).toBe(false);
    expect(scopeGrants("a:*", "a:")).toBe(false);
    expect(scopeGrants("a:*", "ab:c")).toBe(false);
    expect(scopeGrants("a:*", "ab")).toBe(false);
    expect(scopeGrants("a:*", "b:a")).toBe(false);
    expect(scopeGrants("a:*", "*")).toBe(false);
  });

  it("lets a:b:* grant a:b:c but not a:c or a:b", () => {
    expect(scopeGrants("a:b:*", "a:b:c")).toBe(true);
    expect(scopeGrants("a:b:*", "a:c")).toBe(false);
    expect(scopeGrants("a:b:*", "a:b")).toBe(false);
    expect(scopeGrants("a:b:*", "a:*")).toBe(false);
  });

  it("never lets a plain scope grant a wildcard", () => {
    expect(scopeGrants("a:b", "a:*")).toBe(false);
    expect(scopeGrants("a:b", "*")).toBe(false);
  });

  it("always grants a scope to itself", () => {
    fc.assert(fc.property(validScope, (scope) => scopeGrants(scope, scope)));
  });

  it("lets * grant every valid scope", () => {
    fc.assert(fc.property(validScope, (scope) => scopeGrants("*", scope)));
  });

  it("lets base:* grant exactly the longer scopes that start with base:", () => {
    fc.assert(
      fc.property(plainScope, plainScope, (base, rest) => {
        expect(scopeGrants(`${base}:*`, `${base}:${rest}`)).toBe(true);
        expect(scopeGrants(`${base}:*`, base)).toBe(false);
      }),
    );
  });

  it("never lets a plain scope grant a different scope", () => {
    fc.assert(
      fc.property(plainScope, plainScope, (granted, required) => {
        fc.pre(granted !== required);
        expect(scopeGrants(granted, required)).toBe(false);
      }),
    );
  });
});

describe("missingScopes()", () => {
  it("returns the ungranted scopes in the order they were asked for, duplicates kept", () => {
    expect(missingScopes(["a:*"], ["c", "a:b", "b", "a", "c"])).toEqual(["c", "b", "a", "c"]);
  });

  it("returns nothing when every scope is granted, or none is required", () => {
    expect(missingScopes(["a:*", "b"], ["a:x", "b", "a:y:z"])).toEqual([]);
    expect(missingScopes([], [])).toEqual([]);
    expect(missingScopes(["*"], ["anything", "at:all"])).toEqual([]);
  });

  it("returns every required scope when nothing is granted", () => {
    expect(missingScopes([], ["b", "a"])).toEqual(["b", "a"]);
  });

  it("returns a sub-list of the required scopes, each one not granted", () => {
    fc.assert(
      fc.property(
        fc.array(validScope, { maxLength: 5 }),
        fc.array(validScope, { maxLength: 8 }),
        (granted, required) => {
          const missing = missingScopes(granted, required);
          expect(required.filter((r) => missing.includes(r))).toEqual(missing);
          for (const m of missing) expect(granted.some((g) => scopeGrants(g, m))).toBe(false);
        },
      ),
    );
  });
});
