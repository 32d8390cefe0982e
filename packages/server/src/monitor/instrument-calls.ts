import { KeywardError } from "@keyward/core/keyward-error.js";

/** Where {@link instrumentCalls} reports each call of the object's methods. */
export interface CallReport {
  /** A call finished (resolved or threw) after `durationSeconds`; `operation` is the method name. */
  observe(operation: string, durationSeconds: number): void;
  /** A call threw or rejected with something other than a refusal (see {@link isRefusal}). */
  fail(operation: string, error: unknown): void;
  /** A call resolved; `args` are the arguments it was called with. */
  succeeded?(operation: string, args: readonly unknown[]): void;
}

/**
 * Failures that are answers rather than faults: a unique violation (`CONFLICT`) is how a store refuses a
 * duplicate id, which the service turns into a 409. They are timed but not counted as errors, so an error rate
 * alerts on outages, not on clients retrying a create.
 */
export function isRefusal(error: unknown): boolean {
  return error instanceof KeywardError && error.code === "CONFLICT";
}

/**
 * Wraps `target` in a proxy that times every method call (synchronous or returning a promise) and reports it,
 * without touching the implementation: one seam for every store and limiter. Methods run with the original
 * object as `this`, so classes with private fields work unchanged. Properties that are not methods pass through.
 */
export function instrumentCalls<T extends object>(target: T, report: CallReport): T {
  const wrappers = new Map<string, { original: unknown; wrapper: unknown }>();
  return new Proxy(target, {
    get(object, property) {
      // The object itself as receiver: getters that read private fields would throw on the proxy.
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== "function" || typeof property !== "string") return value;
      const known = wrappers.get(property);
      if (known !== undefined && known.original === value) return known.wrapper;
      const wrapper = timed(value as (...args: unknown[]) => unknown, object, property, report);
      wrappers.set(property, { original: value, wrapper });
      return wrapper;
    },
  });
}

function timed(
  method: (...args: unknown[]) => unknown,
  object: object,
  operation: string,
  report: CallReport,
): (...args: unknown[]) => unknown {
  const failed = (started: number, error: unknown): void => {
    report.observe(operation, secondsSince(started));
    if (!isRefusal(error)) report.fail(operation, error);
  };
  const succeeded = (started: number, args: readonly unknown[]): void => {
    report.observe(operation, secondsSince(started));
    report.succeeded?.(operation, args);
  };
  return (...args: unknown[]): unknown => {
    const started = performance.now();
    let result: unknown;
    try {
      result = method.apply(object, args);
    } catch (error) {
      failed(started, error);
      throw error;
    }
    if (!(result instanceof Promise)) {
      succeeded(started, args);
      return result;
    }
    return result.then(
      (value: unknown) => {
        succeeded(started, args);
        return value;
      },
      (error: unknown) => {
        failed(started, error);
        throw error;
      },
    );
  };
}

function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}
