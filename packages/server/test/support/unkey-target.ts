import { Unkey } from "@unkey/api";
import { expect } from "vitest";
import { createTestApp, type TestApp } from "./test-app.js";

/** A Keyward listening on a loopback port, and the official Unkey client pointed at it with the root token. */
export interface UnkeyTarget {
  t: TestApp;
  baseUrl: string;
  /** `@unkey/api` with `serverURL` set to this Keyward; retries off, so a failure shows at once. */
  unkey: Unkey;
  /** Another client of the same server with another root key. */
  clientWith(rootKey: string): Unkey;
  close(): Promise<void>;
}

/** Starts a fresh test app (in-memory store, manual clock) on 127.0.0.1 and an Unkey client for it. */
export async function startUnkeyTarget(
  options: Parameters<typeof createTestApp>[0] = {},
): Promise<UnkeyTarget> {
  const t = await createTestApp(options);
  const baseUrl = await t.app.listen({ host: "127.0.0.1", port: 0 });
  const clientWith = (rootKey: string) =>
    new Unkey({ rootKey, serverURL: baseUrl, retryConfig: { strategy: "none" }, timeoutMs: 10_000 });
  return {
    t,
    baseUrl,
    unkey: clientWith(t.rootToken),
    clientWith,
    close: () => t.close(),
  };
}

/** Runs `call`, expects it to reject with `type` (one of the client's typed errors), and returns the error. */
export async function rejection<T>(call: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await call.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}
