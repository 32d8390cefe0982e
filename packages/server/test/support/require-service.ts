/** Options for {@link isServiceAvailable}. */
export interface ServiceProbe {
  /** What the service is, for the messages: `Redis at redis://127.0.0.1:6379`. */
  name: string;
  /** Resolves when the service answers; rejects (or hangs) otherwise. */
  probe(): Promise<void>;
  /** How long the probe may take (default 2000 ms). */
  timeoutMs?: number;
}

/**
 * Whether a service the tests need (Redis, PostgreSQL) answers. When it does not, warns loudly and returns false
 * so the caller skips its tests locally, or throws under CI=true, where every service must be there.
 */
export async function isServiceAvailable(service: ServiceProbe): Promise<boolean> {
  const timeoutMs = service.timeoutMs ?? 2_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([service.probe(), timedOut]);
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const message = `${service.name} is not reachable (${reason})`;
    if (process.env.CI === "true")
      throw new Error(`CI=true requires every service the tests need: ${message}.`);
    console.warn(`\n*** SKIPPING the tests that need it: ${message}. Start it to run them. ***\n`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}
