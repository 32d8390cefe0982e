import type { Delivery, DeliveryAttempt } from "@keyward/client/types.js";
import { describe, expect, it } from "vitest";
import { deliveryFields, lastAttemptOutcome } from "./delivery-fields.js";

function attempt(fields: Partial<DeliveryAttempt>): DeliveryAttempt {
  return {
    attempt: 1,
    attemptedAt: "2026-11-28T09:00:01.000Z",
    durationMs: 5,
    statusCode: null,
    error: null,
    responseBody: null,
    ...fields,
  };
}

function delivery(attemptLog: DeliveryAttempt[]): Delivery {
  return {
    id: "evt_1",
    webhookId: "wh_1",
    eventType: "key.rotated",
    status: "pending",
    attempts: attemptLog.length,
    nextAttemptAt: "2026-11-28T09:00:06.000Z",
    deliveredAt: null,
    createdAt: "2026-11-28T09:00:00.000Z",
    attemptLog,
  };
}

describe("lastAttemptOutcome()", () => {
  it("is null before the first attempt", () => {
    expect(lastAttemptOutcome(delivery([]))).toBeNull();
  });

  it("is the last attempt's status code when the receiver answered", () => {
    const log = [attempt({ error: "timeout" }), attempt({ attempt: 2, statusCode: 503 })];
    expect(lastAttemptOutcome(delivery(log))).toBe("503");
  });

  it("is the last attempt's error when the receiver did not answer", () => {
    const log = [attempt({ statusCode: 500 }), attempt({ attempt: 2, error: "connect ECONNREFUSED" })];
    expect(lastAttemptOutcome(delivery(log))).toBe("connect ECONNREFUSED");
  });
});

describe("deliveryFields()", () => {
  it("lists the event, its state and the last result", () => {
    expect(deliveryFields(delivery([attempt({ statusCode: 500 })]))).toEqual(
      expect.arrayContaining([
        ["event", "evt_1"],
        ["status", "pending"],
        ["attempts", 1],
        ["last result", "500"],
        ["next attempt", "2026-11-28T09:00:06.000Z"],
      ]),
    );
  });
});
