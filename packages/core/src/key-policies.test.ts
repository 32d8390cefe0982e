import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Duration, parseDuration } from "./duration.js";
import {
  DEFAULT_EXPIRY_NOTICE,
  defaultExpiry,
  expiryNoticeHorizon,
  inactivityCutoff,
  isExpiryNoticeDue,
  isInactive,
  isRotationDue,
  KEY_POLICY_NAMES,
  type KeyPolicies,
  type KeyPolicySettings,
  latestAllowedExpiry,
  parseKeyPolicies,
  rotationDueCutoff,
} from "./key-policies.js";
import { KeywardError } from "./keyward-error.js";

const at = (iso: string): number => Date.parse(iso);
const DAY_MS = 86_400_000;

function durationOf(text: string): Duration {
  const parsed = parseDuration(text);
  if (parsed === null) throw new Error(`test duration ${text} does not parse`);
  return parsed;
}

function policies(extra: Partial<KeyPolicies> = {}): KeyPolicies {
  return { expiryNotice: DEFAULT_EXPIRY_NOTICE, ...extra };
}

function caught(run: () => unknown): KeywardError {
  try {
    run();
  } catch (error) {
    if (error instanceof KeywardError) return error;
    throw error;
  }
  throw new Error("expected a KeywardError");
}

const CREATED = at("2026-01-31T09:30:00Z");

describe("parseKeyPolicies()", () => {
  it("returns only the default expiry notice when nothing is set", () => {
    expect(parseKeyPolicies({})).toEqual({ expiryNotice: durationOf("P7D") });
    expect(DEFAULT_EXPIRY_NOTICE).toEqual(durationOf("P7D"));
  });

  it("parses every setting that is present and leaves absent ones absent", () => {
    const parsed = parseKeyPolicies({
      maxLifetime: "P1Y",
      rotationPeriod: "P90D",
      inactivityRevocation: "P30D",
      expiryNotice: "P2DT12H",
    });
    expect(parsed).toEqual({
      maxLifetime: durationOf("P1Y"),
      rotationPeriod: durationOf("P90D"),
      inactivityRevocation: durationOf("P30D"),
      expiryNotice: durationOf("P2DT12H"),
    });
    const partial = parseKeyPolicies({ rotationPeriod: "P90D" });
    expect(Object.keys(partial).sort()).toEqual(["expiryNotice", "rotationPeriod"]);
  });

  it("names every policy once, in the order they are reported", () => {
    expect(KEY_POLICY_NAMES).toEqual([
      "maxLifetime",
      "rotationPeriod",
      "inactivityRevocation",
      "expiryNotice",
    ]);
  });

  it("throws VALIDATION_ERROR naming the one bad setting by its pointer", () => {
    const error = caught(() => parseKeyPolicies({ maxLifetime: "90 days", rotationPeriod: "P90D" }));
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(error.status).toBe(400);
    expect(error.message).toBe("policies/maxLifetime must be an ISO 8601 duration such as P90D.");
    expect(error.errors).toEqual([
      { pointer: "/policies/maxLifetime", detail: "must be an ISO 8601 duration such as P90D" },
    ]);
  });

  it("reports every bad setting at once, in policy order", () => {
    const error = caught(() =>
      parseKeyPolicies({
        expiryNotice: "P0D",
        maxLifetime: "p1y",
        rotationPeriod: "P90D",
        inactivityRevocation: "",
      }),
    );
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(error.errors?.map((e) => e.pointer)).toEqual([
      "/policies/maxLifetime",
      "/policies/inactivityRevocation",
      "/policies/expiryNotice",
    ]);
    expect(error.errors?.every((e) => e.detail === "must be an ISO 8601 duration such as P90D")).toBe(true);
    expect(error.message).toBe(
      "policies/maxLifetime, policies/inactivityRevocation, policies/expiryNotice must be ISO 8601 durations such as P90D.",
    );
  });

  it("treats null and other non-strings as bad settings, not as absent", () => {
    const settings = { maxLifetime: null, rotationPeriod: 90 } as unknown as KeyPolicySettings;
    expect(caught(() => parseKeyPolicies(settings)).errors).toHaveLength(2);
  });

  it("does not echo the rejected value in the message", () => {
    const error = caught(() => parseKeyPolicies({ rotationPeriod: "P90D-secret" }));
    expect(error.message).not.toContain("secret");
  });
});

describe("latestAllowedExpiry()", () => {
  it("is null without a maximum lifetime", () => {
    expect(latestAllowedExpiry(CREATED, policies())).toBeNull();
  });

  it("is createdAt + maxLifetime, in calendar arithmetic", () => {
    expect(latestAllowedExpiry(CREATED, policies({ maxLifetime: durationOf("P90D") }))).toBe(
      CREATED + 90 * DAY_MS,
    );
    // Feb 2026 has no 31st, so Jan 31 09:30 + P1M is the last millisecond of Feb 28.
    expect(latestAllowedExpiry(CREATED, policies({ maxLifetime: durationOf("P1M") }))).toBe(
      at("2026-02-28T23:59:59.999Z"),
    );
  });
});

describe("defaultExpiry()", () => {
  const capped = policies({ maxLifetime: durationOf("P90D") });

  it("keeps the requested expiry, even past the maximum, since checking it is not its job", () => {
    expect(defaultExpiry(CREATED, CREATED + DAY_MS, capped)).toBe(CREATED + DAY_MS);
    expect(defaultExpiry(CREATED, CREATED + 365 * DAY_MS, capped)).toBe(CREATED + 365 * DAY_MS);
    expect(defaultExpiry(CREATED, CREATED + DAY_MS, policies())).toBe(CREATED + DAY_MS);
  });

  it("gives createdAt + maxLifetime when none is requested and a maximum exists", () => {
    expect(defaultExpiry(CREATED, null, capped)).toBe(CREATED + 90 * DAY_MS);
    expect(defaultExpiry(CREATED, undefined, capped)).toBe(CREATED + 90 * DAY_MS);
  });

  it("gives no expiry when none is requested and there is no maximum", () => {
    expect(defaultExpiry(CREATED, null, policies())).toBeNull();
    expect(defaultExpiry(CREATED, undefined, policies())).toBeNull();
  });

  it("keeps a requested expiry of 0 rather than mistaking it for none", () => {
    expect(defaultExpiry(CREATED, 0, capped)).toBe(0);
  });
});

describe("isRotationDue()", () => {
  const rotating = policies({ rotationPeriod: durationOf("P90D") });
  const due = CREATED + 90 * DAY_MS;
  const key = { createdAt: CREATED, revokedAt: null, replacedBy: null };

  it("turns true exactly at createdAt + rotationPeriod, not a millisecond before", () => {
    expect(isRotationDue(key, rotating, due - 1)).toBe(false);
    expect(isRotationDue(key, rotating, due)).toBe(true);
    expect(isRotationDue(key, rotating, due + 1)).toBe(true);
  });

  it("follows calendar months measured back from now: P1M from Jan 31 is due from Mar 1 (Mar 1 - P1M = Feb 1)", () => {
    const monthly = policies({ rotationPeriod: durationOf("P1M") });
    const march1 = at("2026-03-01T00:00:00Z");
    expect(isRotationDue(key, monthly, at("2026-02-28T09:30:00Z"))).toBe(false);
    expect(isRotationDue(key, monthly, march1 - 1)).toBe(false);
    expect(isRotationDue(key, monthly, march1)).toBe(true);
  });

  it("is false without a rotation period", () => {
    expect(isRotationDue(key, policies(), due + 1000 * DAY_MS)).toBe(false);
  });

  it("is false for a revoked key and for a key already replaced", () => {
    expect(isRotationDue({ ...key, revokedAt: CREATED + DAY_MS }, rotating, due + 1)).toBe(false);
    expect(isRotationDue({ ...key, replacedBy: "key_next" }, rotating, due + 1)).toBe(false);
  });
});

describe("isInactive()", () => {
  const pruning = policies({ inactivityRevocation: durationOf("P30D") });
  const neverUsed = { createdAt: CREATED, lastUsedAt: null, revokedAt: null };

  it("counts from createdAt for a key never used: true exactly at the boundary, not a millisecond before", () => {
    const boundary = CREATED + 30 * DAY_MS;
    expect(isInactive(neverUsed, pruning, boundary - 1)).toBe(false);
    expect(isInactive(neverUsed, pruning, boundary)).toBe(true);
    expect(isInactive(neverUsed, pruning, boundary + 1)).toBe(true);
  });

  it("counts from lastUsedAt once the key has been used", () => {
    const lastUsedAt = CREATED + 20 * DAY_MS;
    const used = { ...neverUsed, lastUsedAt };
    const boundary = lastUsedAt + 30 * DAY_MS;
    expect(isInactive(used, pruning, CREATED + 30 * DAY_MS)).toBe(false);
    expect(isInactive(used, pruning, boundary - 1)).toBe(false);
    expect(isInactive(used, pruning, boundary)).toBe(true);
    expect(isInactive(used, pruning, boundary + 1)).toBe(true);
  });

  it("is false without the policy and for a key already revoked", () => {
    const long = CREATED + 1000 * DAY_MS;
    expect(isInactive(neverUsed, policies(), long)).toBe(false);
    expect(isInactive({ ...neverUsed, revokedAt: CREATED + DAY_MS }, pruning, long)).toBe(false);
  });
});

describe("isExpiryNoticeDue()", () => {
  const expiresAt = at("2026-06-30T00:00:00Z");
  const noticeFrom = expiresAt - 7 * DAY_MS;
  const key = { expiresAt, revokedAt: null };

  it("turns true exactly expiryNotice before expiry, not a millisecond before", () => {
    expect(isExpiryNoticeDue(key, policies(), noticeFrom - 1)).toBe(false);
    expect(isExpiryNoticeDue(key, policies(), noticeFrom)).toBe(true);
    expect(isExpiryNoticeDue(key, policies(), noticeFrom + 1)).toBe(true);
  });

  it("stays true until a millisecond before expiry, and is false from expiry on", () => {
    expect(isExpiryNoticeDue(key, policies(), expiresAt - 1)).toBe(true);
    expect(isExpiryNoticeDue(key, policies(), expiresAt)).toBe(false);
    expect(isExpiryNoticeDue(key, policies(), expiresAt + 1)).toBe(false);
  });

  it("uses the project's own notice, in calendar arithmetic", () => {
    const monthly = policies({ expiryNotice: durationOf("P1M") });
    // Measured forward from now: Feb 28 23:59:59.999 + P1M = Mar 28, but Mar 1 00:00 + P1M = Apr 1.
    const marchEnd = { expiresAt: at("2026-03-31T12:00:00Z"), revokedAt: null };
    const march1 = at("2026-03-01T00:00:00Z");
    expect(isExpiryNoticeDue(marchEnd, monthly, march1 - 1)).toBe(false);
    expect(isExpiryNoticeDue(marchEnd, monthly, march1)).toBe(true);
  });

  it("is false for a key that never expires and for a revoked key", () => {
    expect(isExpiryNoticeDue({ expiresAt: null, revokedAt: null }, policies(), noticeFrom + 1)).toBe(false);
    expect(isExpiryNoticeDue({ expiresAt, revokedAt: noticeFrom - DAY_MS }, policies(), noticeFrom + 1)).toBe(
      false,
    );
  });
});

describe("rotationDueCutoff()", () => {
  it("is null without a rotation period", () => {
    expect(rotationDueCutoff(policies(), CREATED)).toBeNull();
    expect(rotationDueCutoff(policies({ inactivityRevocation: durationOf("P30D") }), CREATED)).toBeNull();
  });

  it("is now - rotationPeriod, so a key created exactly then is due and one created 1 ms later is not", () => {
    const rotating = policies({ rotationPeriod: durationOf("P90D") });
    const now = CREATED + 90 * DAY_MS;
    expect(rotationDueCutoff(rotating, now)).toBe(CREATED);
    expect(rotationDueCutoff(rotating, now - 1)).toBe(CREATED - 1);
    expect(rotationDueCutoff(rotating, now + 1)).toBe(CREATED + 1);
  });

  it("measures calendar months back from now, a day the month lacks becoming its last millisecond", () => {
    const monthly = policies({ rotationPeriod: durationOf("P1M") });
    expect(rotationDueCutoff(monthly, at("2026-03-31T09:30:00Z"))).toBe(at("2026-02-28T23:59:59.999Z"));
    expect(rotationDueCutoff(monthly, at("2026-05-31T10:00:00Z"))).toBe(at("2026-04-30T23:59:59.999Z"));
    expect(rotationDueCutoff(monthly, at("2026-03-28T09:30:00Z"))).toBe(at("2026-02-28T09:30:00Z"));
    expect(rotationDueCutoff(monthly, at("2026-03-01T00:00:00Z"))).toBe(at("2026-02-01T00:00:00Z"));
    expect(rotationDueCutoff(policies({ rotationPeriod: durationOf("PT1H") }), CREATED)).toBe(
      CREATED - 3_600_000,
    );
  });
});

describe("inactivityCutoff()", () => {
  it("is null without an inactivity policy", () => {
    expect(inactivityCutoff(policies(), CREATED)).toBeNull();
    expect(inactivityCutoff(policies({ rotationPeriod: durationOf("P30D") }), CREATED)).toBeNull();
  });

  it("is now - inactivityRevocation, with the same millisecond boundaries as isInactive()", () => {
    const pruning = policies({ inactivityRevocation: durationOf("P30D") });
    const now = CREATED + 30 * DAY_MS;
    expect(inactivityCutoff(pruning, now)).toBe(CREATED);
    expect(inactivityCutoff(pruning, now - 1)).toBe(CREATED - 1);
    expect(inactivityCutoff(pruning, now + 1)).toBe(CREATED + 1);
  });

  it("measures years back from now, Feb 29 becoming the end of Feb 28", () => {
    const yearly = policies({ inactivityRevocation: durationOf("P1Y") });
    expect(inactivityCutoff(yearly, at("2028-02-29T12:00:00Z"))).toBe(at("2027-02-28T23:59:59.999Z"));
    expect(inactivityCutoff(yearly, at("2028-02-28T12:00:00Z"))).toBe(at("2027-02-28T12:00:00Z"));
  });
});

describe("expiryNoticeHorizon()", () => {
  it("is now + 7 days with the default notice", () => {
    expect(expiryNoticeHorizon(policies(), CREATED)).toBe(CREATED + 7 * DAY_MS);
    expect(expiryNoticeHorizon(parseKeyPolicies({}), CREATED)).toBe(CREATED + 7 * DAY_MS);
  });

  it("uses the project's own notice, in calendar arithmetic forward from now", () => {
    expect(expiryNoticeHorizon(policies({ expiryNotice: durationOf("PT1H") }), CREATED)).toBe(
      CREATED + 3_600_000,
    );
    // Feb 2026 has no 31st, so Jan 31 09:30 + P1M is the last millisecond of Feb 28.
    expect(expiryNoticeHorizon(policies({ expiryNotice: durationOf("P1M") }), CREATED)).toBe(
      at("2026-02-28T23:59:59.999Z"),
    );
  });
});

describe("the cutoffs agree with the per-key predicates", () => {
  const instant = fc.integer({ min: at("2000-01-01T00:00:00Z"), max: at("2100-01-01T00:00:00Z") });
  const period = fc.constantFrom(
    "PT1S",
    "PT1H",
    "P1D",
    "P7D",
    "P30D",
    "P90D",
    "P1M",
    "P3M",
    "P1Y",
    "P1Y2M3DT4H",
  );

  it("isRotationDue() is createdAt <= rotationDueCutoff() for live, unreplaced keys", () => {
    fc.assert(
      fc.property(instant, instant, period, (createdAt, now, text) => {
        const p = policies({ rotationPeriod: durationOf(text) });
        const cutoff = rotationDueCutoff(p, now) as number;
        const key = { createdAt, revokedAt: null, replacedBy: null };
        expect(isRotationDue(key, p, now)).toBe(createdAt <= cutoff);
      }),
    );
  });

  it("isInactive() is (lastUsedAt ?? createdAt) <= inactivityCutoff() for unrevoked keys", () => {
    fc.assert(
      fc.property(
        instant,
        fc.option(instant, { nil: null }),
        instant,
        period,
        (createdAt, lastUsedAt, now, text) => {
          const p = policies({ inactivityRevocation: durationOf(text) });
          const cutoff = inactivityCutoff(p, now) as number;
          const key = { createdAt, lastUsedAt, revokedAt: null };
          expect(isInactive(key, p, now)).toBe((lastUsedAt ?? createdAt) <= cutoff);
        },
      ),
    );
  });

  it("isExpiryNoticeDue() is now < expiresAt <= expiryNoticeHorizon() for unrevoked keys", () => {
    fc.assert(
      fc.property(instant, instant, period, (expiresAt, now, text) => {
        const p = policies({ expiryNotice: durationOf(text) });
        const horizon = expiryNoticeHorizon(p, now);
        expect(isExpiryNoticeDue({ expiresAt, revokedAt: null }, p, now)).toBe(
          expiresAt > now && expiresAt <= horizon,
        );
      }),
    );
  });
});

describe("the cutoffs never move backwards as now advances", () => {
  const HOUR_MS = 3_600_000;
  const monthly = policies({
    rotationPeriod: durationOf("P1M"),
    inactivityRevocation: durationOf("P1M"),
    expiryNotice: durationOf("P1M"),
  });
  /** Every hour from May 30 to Jun 2: May 31 has no counterpart in April (back) or June (forward). */
  const hours = Array.from({ length: 73 }, (_, i) => at("2026-05-30T00:00:00Z") + i * HOUR_MS);

  it("rotationDueCutoff(), inactivityCutoff() and expiryNoticeHorizon() with P1M, hour by hour across May 31", () => {
    const cutoffs = hours.map((now) => rotationDueCutoff(monthly, now) as number);
    const horizons = hours.map((now) => expiryNoticeHorizon(monthly, now));
    for (let i = 1; i < hours.length; i++) {
      expect(cutoffs[i], new Date(hours[i] as number).toISOString()).toBeGreaterThanOrEqual(
        cutoffs[i - 1] as number,
      );
      expect(horizons[i], new Date(hours[i] as number).toISOString()).toBeGreaterThanOrEqual(
        horizons[i - 1] as number,
      );
    }
    expect(hours.map((now) => inactivityCutoff(monthly, now))).toEqual(cutoffs);
    // Known answers: the whole of May 31 maps to the end of Apr 30 going back and to the end of Jun 30 going forward.
    expect(rotationDueCutoff(monthly, at("2026-05-30T23:00:00Z"))).toBe(at("2026-04-30T23:00:00Z"));
    expect(rotationDueCutoff(monthly, at("2026-05-31T00:00:00Z"))).toBe(at("2026-04-30T23:59:59.999Z"));
    expect(rotationDueCutoff(monthly, at("2026-05-31T23:00:00Z"))).toBe(at("2026-04-30T23:59:59.999Z"));
    expect(rotationDueCutoff(monthly, at("2026-06-01T00:00:00Z"))).toBe(at("2026-05-01T00:00:00Z"));
    expect(expiryNoticeHorizon(monthly, at("2026-05-30T23:00:00Z"))).toBe(at("2026-06-30T23:00:00Z"));
    expect(expiryNoticeHorizon(monthly, at("2026-05-31T10:00:00Z"))).toBe(at("2026-06-30T23:59:59.999Z"));
    expect(expiryNoticeHorizon(monthly, at("2026-06-01T00:00:00Z"))).toBe(at("2026-07-01T00:00:00Z"));
  });

  it("isRotationDue() with P1M stays true once true: a key created Apr 30 22:00 is due from May 30 22:00 on", () => {
    const key = { createdAt: at("2026-04-30T22:00:00Z"), revokedAt: null, replacedBy: null };
    const due = hours.map((now) => isRotationDue(key, monthly, now));
    const firstDue = at("2026-05-30T22:00:00Z");
    expect(due).toEqual(hours.map((now) => now >= firstDue));
    expect(isRotationDue(key, monthly, firstDue - 1)).toBe(false);
    expect(isRotationDue(key, monthly, at("2026-05-31T10:00:00Z"))).toBe(true);
  });

  it("for any policy, instant and later instant, the cutoffs and horizon never decrease and flags never turn off", () => {
    const period = fc.constantFrom("PT1H", "P1D", "P30D", "P1M", "P3M", "P1Y", "P1M1D", "P1Y2M3DT4H");
    const monthStart = fc
      .record({ year: fc.integer({ min: 2000, max: 2099 }), month: fc.integer({ min: 0, max: 11 }) })
      .map(({ year, month }) => Date.UTC(year, month, 1));
    const now = fc
      .tuple(monthStart, fc.integer({ min: -4 * DAY_MS, max: 4 * DAY_MS }))
      .map(([start, offsetMs]) => start + offsetMs);
    // Keys created within a day of the earlier cutoff, where a flag could turn off if the cutoff moved back.
    const createdFromCutoffMs = fc.integer({ min: -DAY_MS, max: DAY_MS });
    fc.assert(
      fc.property(
        now,
        fc.integer({ min: 0, max: 3 * DAY_MS }),
        period,
        createdFromCutoffMs,
        (earlier, gapMs, text, offsetMs) => {
          const later = earlier + gapMs;
          const p = policies({
            rotationPeriod: durationOf(text),
            inactivityRevocation: durationOf(text),
            expiryNotice: durationOf(text),
          });
          expect(rotationDueCutoff(p, later)).toBeGreaterThanOrEqual(rotationDueCutoff(p, earlier) as number);
          expect(inactivityCutoff(p, later)).toBeGreaterThanOrEqual(inactivityCutoff(p, earlier) as number);
          expect(expiryNoticeHorizon(p, later)).toBeGreaterThanOrEqual(expiryNoticeHorizon(p, earlier));
          const createdAt = (rotationDueCutoff(p, earlier) as number) + offsetMs;
          const key = { createdAt, lastUsedAt: null, revokedAt: null, replacedBy: null };
          if (isRotationDue(key, p, earlier)) expect(isRotationDue(key, p, later)).toBe(true);
          if (isInactive(key, p, earlier)) expect(isInactive(key, p, later)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
