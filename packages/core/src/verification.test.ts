import { describe, expect, it } from "vitest";
import type { KeyRecord } from "./key-record.js";
import { type PermissionQuery, parsePermissionQuery } from "./permission-query.js";
import { decideVerification } from "./verification.js";

const NOW = Date.parse("2026-11-28T09:00:00.000Z");

function key(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: "key_0000000000000000000001",
    projectId: "proj_000000000000000000001",
    name: null,
    ownerId: null,
    start: "kw_abcd",
    scopes: ["orders:*"],
    roles: [],
    meta: {},
    createdAt: NOW - 1_000,
    updatedAt: NOW - 1_000,
    expiresAt: null,
    enabled: true,
    revokedAt: null,
    revokedReason: null,
    lastUsedAt: null,
    replacedBy: null,
    replaces: null,
    rateLimits: [],
    quota: null,
    ipAllowlist: null,
    canary: false,
    ...overrides,
  };
}

const REVOKED = { revokedAt: NOW - 10, revokedReason: "leaked" };
const DISABLED = { enabled: false };
const EXPIRED = { expiresAt: NOW - 10 };
const NEEDS_BILLING = { scopes: ["billing:read"] };

describe("decideVerification()", () => {
  it("returns NOT_FOUND for a missing key", () => {
    expect(decideVerification(null, NEEDS_BILLING, NOW)).toEqual({ valid: false, code: "NOT_FOUND" });
  });

  it("returns VALID for a live key with no requirements, and sets no missingScopes", () => {
    const decision = decideVerification(key(), {}, NOW);
    expect(decision).toEqual({ valid: true, code: "VALID" });
    expect(decision).not.toHaveProperty("missingScopes");
    expect(decideVerification(key(), { scopes: [] }, NOW)).toEqual({ valid: true, code: "VALID" });
  });

  it("returns VALID when the key's scopes grant every required scope", () => {
    expect(decideVerification(key(), { scopes: ["orders:read", "orders:write"] }, NOW)).toEqual({
      valid: true,
      code: "VALID",
    });
  });

  it("checks in a fixed order: revoked beats disabled beats expired beats scopes", () => {
    expect(decideVerification(key({ ...REVOKED, ...DISABLED, ...EXPIRED }), NEEDS_BILLING, NOW).code).toBe(
      "REVOKED",
    );
    expect(decideVerification(key({ ...DISABLED, ...EXPIRED }), NEEDS_BILLING, NOW).code).toBe("DISABLED");
    expect(decideVerification(key(EXPIRED), NEEDS_BILLING, NOW).code).toBe("EXPIRED");
    expect(decideVerification(key(), NEEDS_BILLING, NOW)).toEqual({
      valid: false,
      code: "INSUFFICIENT_SCOPE",
      missingScopes: ["billing:read"],
    });
  });

  it("checks the IP after expiry and before scopes: expired beats IP, IP beats scopes", () => {
    const blocked = { ...NEEDS_BILLING, ipAllowed: false };
    expect(decideVerification(key(EXPIRED), blocked, NOW).code).toBe("EXPIRED");
    expect(decideVerification(key(), blocked, NOW)).toEqual({ valid: false, code: "IP_NOT_ALLOWED" });
    expect(decideVerification(key(), { ...NEEDS_BILLING, ipAllowed: true }, NOW).code).toBe(
      "INSUFFICIENT_SCOPE",
    );
    expect(decideVerification(key(), { ipAllowed: true }, NOW).code).toBe("VALID");
  });

  it("returns REVOKED even for a revoked key that is otherwise valid, and without a reason", () => {
    expect(decideVerification(key({ revokedAt: NOW, revokedReason: null }), {}, NOW)).toEqual({
      valid: false,
      code: "REVOKED",
    });
  });

  it("treats a key as expired from the exact millisecond of expiresAt", () => {
    expect(decideVerification(key({ expiresAt: NOW + 1 }), {}, NOW).code).toBe("VALID");
    expect(decideVerification(key({ expiresAt: NOW }), {}, NOW)).toEqual({ valid: false, code: "EXPIRED" });
    expect(decideVerification(key({ expiresAt: NOW - 1 }), {}, NOW).code).toBe("EXPIRED");
  });

  it("never expires a key whose expiresAt is null", () => {
    expect(decideVerification(key({ expiresAt: null }), {}, Number.MAX_SAFE_INTEGER).code).toBe("VALID");
  });

  it("lists only the missing scopes, in the order they were asked for", () => {
    const decision = decideVerification(
      key({ scopes: ["orders:*", "users:read"] }),
      { scopes: ["z:z", "orders:read", "a:a", "users:read", "users:write"] },
      NOW,
    );
    expect(decision).toEqual({
      valid: false,
      code: "INSUFFICIENT_SCOPE",
      missingScopes: ["z:z", "a:a", "users:write"],
    });
  });

  describe("with a scope query", () => {
    function query(text: string): PermissionQuery {
      const parsed = parsePermissionQuery(text);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.query;
    }

    it("returns VALID when the key's scopes satisfy the query, wildcards included", () => {
      const scopeQuery = query("orders:read AND (billing:read OR orders:write)");
      expect(decideVerification(key(), { scopeQuery }, NOW)).toEqual({ valid: true, code: "VALID" });
    });

    it("returns INSUFFICIENT_SCOPE naming every unmet name when the query fails", () => {
      const scopeQuery = query("orders:read AND (billing:read OR users:read)");
      expect(decideVerification(key(), { scopeQuery }, NOW)).toEqual({
        valid: false,
        code: "INSUFFICIENT_SCOPE",
        missingScopes: ["billing:read", "users:read"],
      });
    });

    it("is checked after the scope list and after the key's own state", () => {
      const scopeQuery = query("billing:read");
      expect(decideVerification(key({ scopes: [] }), { scopes: ["z:z"], scopeQuery }, NOW)).toMatchObject({
        missingScopes: ["z:z"],
      });
      expect(decideVerification(key(EXPIRED), { scopeQuery }, NOW).code).toBe("EXPIRED");
      expect(decideVerification(key(), { ipAllowed: false, scopeQuery }, NOW).code).toBe("IP_NOT_ALLOWED");
    });
  });
});
