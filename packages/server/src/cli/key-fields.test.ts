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
});
