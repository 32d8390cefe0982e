import { describe, expect, it } from "vitest";
import { rateLimitHeaders } from "./rate-limit-headers.js";

const NOW = Date.parse("2026-11-28T09:00:00.000Z");

describe("rateLimitHeaders()", () => {
  it("writes one policy and one service limit item per charged limit (draft -10 syntax)", () => {
    const headers = rateLimitHeaders(
      {
        rateLimits: [
          { name: "burst", limit: 100, remaining: 50, resetAt: "2026-11-28T09:00:30.000Z" },
          { name: "daily", limit: 1000, remaining: 999, resetAt: "2026-11-29T09:00:00.000Z" },
        ],
      },
      {
        nowMs: NOW,
        windows: [
          { name: "burst", windowMs: 60_000 },
          { name: "daily", windowMs: 86_400_000 },
        ],
      },
    );
    expect(headers).toEqual({
      "RateLimit-Policy": '"burst";q=100;w=60, "daily";q=1000;w=86400',
      RateLimit: '"burst";r=50;t=30, "daily";r=999;t=86400',
    });
  });

  it("rounds the seconds until reset and sub-second windows up, and never goes below zero", () => {
    const headers = rateLimitHeaders(
      {
        rateLimits: [
          { name: "a", limit: 5, remaining: 0, resetAt: "2026-11-28T09:00:00.001Z" },
          { name: "b", limit: 5, remaining: 5, resetAt: "2026-11-28T08:59:59.000Z" },
        ],
      },
      {
        nowMs: NOW,
        windows: [
          { name: "a", windowMs: 100 },
          { name: "b", windowMs: 1_500 },
        ],
      },
    );
    expect(headers).toEqual({
      "RateLimit-Policy": '"a";q=5;w=1, "b";q=5;w=2',
      RateLimit: '"a";r=0;t=1, "b";r=5;t=0',
    });
  });

  it("leaves out w when the window is not given, since a verification answer does not carry it", () => {
    expect(
      rateLimitHeaders(
        { rateLimits: [{ name: "api:v1", limit: 10, remaining: 9, resetAt: "2026-11-28T09:01:00.000Z" }] },
        { nowMs: NOW },
      ),
    ).toEqual({ "RateLimit-Policy": '"api:v1";q=10', RateLimit: '"api:v1";r=9;t=60' });
  });

  it("is empty when the answer charged no limit", () => {
    expect(rateLimitHeaders({ rateLimits: [] })).toEqual({});
    expect(rateLimitHeaders({})).toEqual({});
  });

  it("escapes quotes and backslashes, and leaves out a name an sf-string cannot hold", () => {
    const resetAt = "2026-11-28T09:00:10.000Z";
    const headers = rateLimitHeaders(
      {
        rateLimits: [
          { name: 'say "hi"\\', limit: 1, remaining: 1, resetAt },
          { name: "caf\u00e9", limit: 1, remaining: 1, resetAt },
          { name: "line\nbreak", limit: 1, remaining: 1, resetAt },
        ],
      },
      { nowMs: NOW },
    );
    expect(headers).toEqual({
      "RateLimit-Policy": '"say \\"hi\\"\\\\";q=1',
      RateLimit: '"say \\"hi\\"\\\\";r=1;t=10',
    });
  });

  it("clamps numbers to whole, non-negative sf-integers and drops t for an unreadable reset time", () => {
    expect(
      rateLimitHeaders(
        { rateLimits: [{ name: "x", limit: 1e18, remaining: -3, resetAt: "not a date" }] },
        { nowMs: NOW },
      ),
    ).toEqual({ "RateLimit-Policy": '"x";q=999999999999999', RateLimit: '"x";r=0' });
  });
});
