import type { Key } from "@keyward/client/types.js";
import { describe, expect, it } from "vitest";
import { keyFields } from "./key-fields.js";

const key: Key = {
  id: "key_2",
  projectId: "proj_1",
  name: null,
  ownerId: null,
  start: "kw_3Fh9",
  scopes: [],
  meta: {},
  createdAt: "2026-11-28T09:00:00.000Z",
  updatedAt: "2026-11-28T09:00:00.000Z",
  expiresAt: null,
  enabled: true,
  revokedAt: null,
  revokedReason: null,
  lastUsedAt: null,
  replacedBy: null,
  replaces: null,
  rotationDue: false,
  rateLimits: [],
  quota: null,
  ipAllowlist: null,
  canary: false,
};

const labels = (k: Key) => keyFields(k, Date.parse("2026-11-28T10:00:00Z")).map(([label]) => label);

describe("keyFields()", () => {
  it("leaves out the rotation lines of a key that was never rotated and is not due", () => {
    expect(labels(key)).not.toContain("rotation due");
    expect(labels(key)).not.toContain("replaces");
    expect(labels(key)).not.toContain("replaced by");
  });

  it("shows a due rotation and both links of a rotation", () => {
    const fields = keyFields({ ...key, rotationDue: true, replaces: "key_1", replacedBy: "key_3" }, 0);
    expect(fields).toEqual(
      expect.arrayContaining([
        ["rotation due", "yes"],
        ["replaces", "key_1"],
        ["replaced by", "key_3"],
      ]),
    );
  });

  it("shows rate limits as --rate-limit writes them, the quota with its refill, and the IP allowlist", () => {
    const fields = keyFields(
      {
        ...key,
        rateLimits: [
          { name: "burst", limit: 100, windowMs: 1_000 },
          { name: "daily", limit: 5_000, windowMs: 86_400_000 },
        ],
        quota: {
          remaining: 4_999,
          refill: { amount: 5_000, interval: "month" },
          refilledAt: "2026-11-01T00:00:00.000Z",
        },
        ipAllowlist: ["10.0.0.0/8"],
      },
      0,
    );
    expect(fields).toEqual(
      expect.arrayContaining([
        ["rate limits", ["burst 100/1s", "daily 5000/1d"]],
        ["quota", "4999 left, refilled to 5000 every month"],
        ["quota refilled", "2026-11-01T00:00:00.000Z"],
        ["ip allowlist", ["10.0.0.0/8"]],
      ]),
    );
  });

  it("says when a key uses its project's allowlist, has no quota, or refuses every address", () => {
    expect(keyFields(key, 0)).toEqual(
      expect.arrayContaining([
        ["rate limits", []],
        ["quota", null],
        ["ip allowlist", "(the project's)"],
      ]),
    );
    expect(labels(key)).not.toContain("quota refilled");
    expect(keyFields({ ...key, ipAllowlist: [] }, 0)).toContainEqual([
      "ip allowlist",
      "(empty: every address is refused)",
    ]);
  });

  it("shows a key's roles after its scopes only when it has some", () => {
    expect(labels({ ...key, roles: [] })).not.toContain("roles");
    const fields = keyFields({ ...key, roles: ["role_1"] }, 0);
    expect(fields.map(([label]) => label).slice(6, 8)).toEqual(["scopes", "roles"]);
    expect(fields).toContainEqual(["roles", ["role_1"]]);
  });
});
