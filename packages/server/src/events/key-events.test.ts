import type { KeyRecord } from "@keyward/core/key-record.js";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES, isSubscribableEventType } from "./event-types.js";
import { eventKeyData, keyEvent } from "./key-events.js";

const NOW = Date.parse("2026-11-28T09:00:00.000Z");

const key: KeyRecord = {
  id: "key_01JDEXAMPLE",
  projectId: "proj_01JDEXAMPLE",
  start: "kw_live_abcd",
  name: "ci",
  ownerId: "user_1",
  scopes: ["repo:read"],
  roles: [],
  meta: { team: "infra" },
  expiresAt: NOW + 86_400_000,
  enabled: true,
  createdAt: NOW - 1_000,
  updatedAt: NOW,
  revokedAt: null,
  revokedReason: null,
  lastUsedAt: null,
  replacedBy: null,
  replaces: "key_01JDOLDER",
  rateLimits: [],
  quota: null,
  ipAllowlist: null,
  canary: false,
};

describe("keyEvent()", () => {
  it("builds a Standard Webhooks payload {type, timestamp, data: {key}} with an evt_ id at the given time", () => {
    const event = keyEvent("key.created", key, NOW);
    expect(event).toEqual({
      id: expect.stringMatching(/^evt_/),
      projectId: key.projectId,
      type: "key.created",
      keyId: key.id,
      payload: expect.any(String),
      createdAt: NOW,
    });
    expect(JSON.parse(event.payload)).toEqual({
      type: "key.created",
      timestamp: "2026-11-28T09:00:00.000Z",
      data: {
        key: {
          id: key.id,
          projectId: key.projectId,
          name: "ci",
          ownerId: "user_1",
          scopes: ["repo:read"],
          meta: { team: "infra" },
          createdAt: "2026-11-28T08:59:59.000Z",
          updatedAt: "2026-11-28T09:00:00.000Z",
          expiresAt: "2026-11-29T09:00:00.000Z",
          enabled: true,
          revokedAt: null,
          revokedReason: null,
          lastUsedAt: null,
          replacedBy: null,
          replaces: "key_01JDOLDER",
        },
      },
    });
  });

  it("never carries the key's start, digest or any other key material", () => {
    const payload = keyEvent("key.revoked", { ...key, revokedAt: NOW, revokedReason: "leaked" }, NOW).payload;
    expect(payload).not.toContain(key.start);
    expect(Object.keys(JSON.parse(payload).data.key)).not.toContain("start");
    expect(Object.keys(eventKeyData(key))).not.toContain("start");
  });

  it("adds event-specific fields beside data.key, as key.rotated does with replacedBy and graceEndsAt", () => {
    const rotated = keyEvent("key.rotated", { ...key, replacedBy: "key_new" }, NOW, {
      replacedBy: "key_new",
      graceEndsAt: "2026-11-29T09:00:00.000Z",
    });
    const data = JSON.parse(rotated.payload).data;
    expect(data.replacedBy).toBe("key_new");
    expect(data.graceEndsAt).toBe("2026-11-29T09:00:00.000Z");
    expect(data.key.replacedBy).toBe("key_new");
  });

  it("gives every event a distinct id, even for the same key at the same instant", () => {
    const ids = new Set(Array.from({ length: 100 }, () => keyEvent("key.expiring", key, NOW).id));
    expect(ids.size).toBe(100);
  });

  it("writes times as ISO 8601 strings and absent times as null", () => {
    const data = eventKeyData({ ...key, expiresAt: null, lastUsedAt: NOW, revokedAt: NOW + 1 });
    expect(data.expiresAt).toBeNull();
    expect(data.lastUsedAt).toBe("2026-11-28T09:00:00.000Z");
    expect(data.revokedAt).toBe("2026-11-28T09:00:00.001Z");
  });
});

describe("isSubscribableEventType()", () => {
  it("accepts every event type and *, and nothing else", () => {
    for (const type of EVENT_TYPES) expect(isSubscribableEventType(type)).toBe(true);
    expect(isSubscribableEventType("*")).toBe(true);
    for (const type of ["", "key.*", "KEY.CREATED", "key.created ", "constructor", "toString"]) {
      expect(isSubscribableEventType(type)).toBe(false);
    }
  });
});
