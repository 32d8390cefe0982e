import { describe, expect, it } from "vitest";
import { type KeyLimitOptions, keyLimitInput } from "./key-limit-options.js";

function fail(message: string): never {
  throw new Error(message);
}

const create = (options: KeyLimitOptions) => keyLimitInput(options, { mode: "create", fail });
const update = (options: KeyLimitOptions) => keyLimitInput(options, { mode: "update", fail });

describe("keyLimitInput()", () => {
  it("asks for nothing when no limit option was given (a lone --no- option defaults to true)", () => {
    expect(create({})).toEqual({});
    expect(update({ rateLimits: true, ipAllowlist: true })).toEqual({});
  });

  it("passes rate limits, quota, refill and IP allowlist through", () => {
    const rateLimit = [{ name: "burst", limit: 100, windowMs: 1_000 }];
    expect(
      create({ rateLimit, quota: 10, refill: { amount: 5_000, interval: "month" }, ip: ["10.0.0.0/8"] }),
    ).toEqual({
      rateLimits: rateLimit,
      quota: { remaining: 10, refill: { amount: 5_000, interval: "month" } },
      ipAllowlist: ["10.0.0.0/8"],
    });
    expect(update({ quota: 0 })).toEqual({ quota: { remaining: 0 } });
  });

  it("starts a refilling quota full on create when --quota is left out", () => {
    expect(create({ refill: { amount: 300, interval: "day" } })).toEqual({
      quota: { remaining: 300, refill: { amount: 300, interval: "day" } },
    });
  });

  it("needs --quota with --refill on update, since the new quota replaces the live balance", () => {
    expect(() => update({ refill: { amount: 300, interval: "day" } })).toThrow("--refill needs --quota");
  });

  it("turns the --no- options into removals", () => {
    expect(update({ rateLimits: false, quota: false, ipAllowlist: false })).toEqual({
      rateLimits: [],
      quota: null,
      ipAllowlist: null,
    });
  });

  it.each([
    [{ rateLimits: false, rateLimit: [] }, "--no-rate-limits"],
    [{ quota: false, refill: { amount: 1, interval: "day" } }, "--no-quota"],
    [{ ipAllowlist: false, ip: ["::1"] }, "--no-ip-allowlist"],
  ] as Array<[KeyLimitOptions, string]>)("refuses %j", (options, message) => {
    expect(() => update(options)).toThrow(message);
  });
});
