import type { Clock } from "../../src/services/clock.js";

/** A clock tests move by hand: time passes only when a test says so. */
export class ManualClock implements Clock {
  #nowMs: number;

  constructor(startMs = Date.parse("2026-11-28T09:00:00.000Z")) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  advance(ms: number): void {
    this.#nowMs += ms;
  }
}
