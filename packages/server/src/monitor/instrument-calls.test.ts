import { KeywardError } from "@keyward/core/keyward-error.js";
import { describe, expect, it } from "vitest";
import { instrumentCalls } from "./instrument-calls.js";

/** A report that remembers every call it was told about. */
function recorder() {
  const observed: string[] = [];
  const failed: string[] = [];
  const succeeded: Array<[string, readonly unknown[]]> = [];
  return {
    observed,
    failed,
    succeeded,
    report: {
      observe(operation: string, seconds: number) {
        expect(seconds).toBeGreaterThanOrEqual(0);
        observed.push(operation);
      },
      fail(operation: string) {
        failed.push(operation);
      },
      succeeded(operation: string, args: readonly unknown[]) {
        succeeded.push([operation, args]);
      },
    },
  };
}

/** A store-like class with private state, sync and async methods, and a plain field. */
class Counter {
  readonly label = "counter";
  #count = 0;

  async add(amount: number): Promise<number> {
    this.#count += amount;
    return this.#count;
  }

  current(): number {
    return this.#count;
  }

  async refuse(): Promise<never> {
    throw new KeywardError("CONFLICT", "An item with this id exists.");
  }

  async breakDown(): Promise<never> {
    throw new KeywardError("STORE_UNAVAILABLE", "The store is unavailable.", { retryable: true });
  }

  explode(): never {
    throw new Error("synchronous failure");
  }
}

describe("instrumentCalls()", () => {
  it("times async and sync methods, which still see their private fields, and passes fields through", async () => {
    const { report, observed, succeeded } = recorder();
    const counter = instrumentCalls(new Counter(), report);
    expect(await counter.add(2)).toBe(2);
    expect(await counter.add(3)).toBe(5);
    expect(counter.current()).toBe(5);
    expect(counter.label).toBe("counter");
    expect(observed).toEqual(["add", "add", "current"]);
    expect(succeeded).toEqual([
      ["add", [2]],
      ["add", [3]],
      ["current", []],
    ]);
  });

  it("hands out the same wrapper for a method each time, so callers can compare or cache it", () => {
    const counter = instrumentCalls(new Counter(), recorder().report);
    expect(counter.add).toBe(counter.add);
  });

  it("counts rejections and synchronous throws as failures and rethrows them unchanged", async () => {
    const { report, observed, failed, succeeded } = recorder();
    const counter = instrumentCalls(new Counter(), report);
    await expect(counter.breakDown()).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    expect(() => counter.explode()).toThrow("synchronous failure");
    expect(observed).toEqual(["breakDown", "explode"]);
    expect(failed).toEqual(["breakDown", "explode"]);
    expect(succeeded).toEqual([]);
  });

  it("times a CONFLICT refusal but does not count it as an error", async () => {
    const { report, observed, failed } = recorder();
    const counter = instrumentCalls(new Counter(), report);
    await expect(counter.refuse()).rejects.toMatchObject({ code: "CONFLICT" });
    expect(observed).toEqual(["refuse"]);
    expect(failed).toEqual([]);
  });
});
