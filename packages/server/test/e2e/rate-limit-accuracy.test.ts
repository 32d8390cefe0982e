import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  isServerBuilt,
  requestJson,
  type ServerProcess,
  startServerProcess,
} from "../support/server-process.js";
import { redisAvailable, TEST_REDIS_URL } from "../support/services.js";

// The acceptance tests of issue 4: rate limits and quotas hold across processes sharing Redis, and in one process
// with the memory backend. They run the built server against the real clock: a 5 s window cannot be faked in a
// child process, so the load is paced in real time and each answer says which window it was counted in.

const REDIS_URL = TEST_REDIS_URL;

const LIMIT = 1_000;
const WINDOW_MS = 5_000;
/** Verifications of the rate-limited key, paced evenly over the windows below. */
const RATE_REQUESTS = 10_000;
/** Whole windows the paced run covers after the partial one it starts in. */
const FULL_WINDOWS = 2;
/** How far into the window after the last whole one the run goes, so that the last whole one is seen as whole. */
const OVERRUN_MS = 500;
const QUOTA = 5_000;
const QUOTA_REQUESTS = 8_000;
/** Requests in flight (a multiple of three, so round robin gives each process the same share). */
const CONCURRENCY = 48;
/** How far below the limit a full window may fall (1%): the sliding window counter admits 999–1,000 there. */
const TOLERANCE = LIMIT / 100;

const built = isServerBuilt();
const redisUp = built && (await redisAvailable());

/** POST /v1/keys/verify's answer, as far as these tests read it. */
interface VerifyAnswer {
  valid: boolean;
  code: string;
  rateLimits?: { name: string; limit: number; remaining: number; resetAt: string }[];
  quota?: { remaining: number };
  degraded?: true;
}

/** One verification as the driver saw it. */
interface Sent {
  status: number;
  answer: VerifyAnswer;
  sentAt: number;
  answeredAt: number;
}

/**
 * Verifies `key` `total` times, round robin over `servers`, `CONCURRENCY` at a time. With `untilMs`, request i
 * leaves no earlier than `startMs + i * (untilMs - startMs) / total` (paced evenly; a late driver catches up);
 * without it, as fast as the servers answer.
 */
async function verifyMany(options: {
  servers: readonly ServerProcess[];
  token: string;
  key: string;
  total: number;
  untilMs?: number;
}): Promise<Sent[]> {
  const { servers, token, key, total, untilMs } = options;
  const startMs = Date.now();
  const spacingMs = untilMs === undefined ? 0 : (untilMs - startMs) / total;
  const results: Sent[] = new Array(total);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const index = next++;
      const waitMs = startMs + index * spacingMs - Date.now();
      if (waitMs > 1) await delay(waitMs);
      const server = servers[index % servers.length] as ServerProcess;
      const sentAt = Date.now();
      const res = await requestJson<VerifyAnswer>(server.url, token, "POST", "/v1/keys/verify", { key });
      results[index] = { status: res.status, answer: res.body, sentAt, answeredAt: Date.now() };
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

/** Answers admitted per window, by window index, from the `resetAt` (end of the counting window) of each answer. */
function admittedPerWindow(sent: readonly Sent[]): { admitted: Map<number, number>; full: number[] } {
  const admitted = new Map<number, number>();
  for (const { answer } of sent) {
    const resetAt = answer.rateLimits?.[0]?.resetAt;
    if (resetAt === undefined) continue;
    const window = Date.parse(resetAt) / WINDOW_MS - 1;
    admitted.set(window, (admitted.get(window) ?? 0) + (answer.valid ? 1 : 0));
  }
  const seen = [...admitted.keys()].sort((a, b) => a - b);
  const first = seen[0] ?? 0;
  const last = seen.at(-1) ?? 0;
  // The load never pauses for a window, so every window strictly between the first and the last was loaded
  // from its first millisecond to its last.
  const full = seen.filter((window) => window > first && window < last);
  return { admitted, full };
}

/** Creates a key through `server`; returns its id and plaintext. */
async function createKey(server: ServerProcess, token: string, body: Record<string, unknown>) {
  const res = await requestJson<{ id: string; key: string }>(server.url, token, "POST", "/v1/keys", body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/**
 * Sends `RATE_REQUESTS` verifications of a key limited to `LIMIT` per `WINDOW_MS` over the servers, paced to end
 * just after the `FULL_WINDOWS`-th whole window, and asserts no window admitted more than the limit and each whole
 * window admitted it to within 1%.
 */
async function expectRateLimitHeld(servers: readonly ServerProcess[], token: string): Promise<void> {
  const limited = await createKey(servers[0] as ServerProcess, token, {
    name: "accuracy",
    rateLimits: [{ name: "requests", limit: LIMIT, windowMs: WINDOW_MS }],
  });
  const untilMs = (Math.floor(Date.now() / WINDOW_MS) + FULL_WINDOWS + 1) * WINDOW_MS + OVERRUN_MS;
  const started = Date.now();
  const sent = await verifyMany({ servers, token, key: limited.key, total: RATE_REQUESTS, untilMs });
  const seconds = (Date.now() - started) / 1000;

  const unexpected = sent.filter(
    (s) =>
      s.status !== 200 ||
      (s.answer.code !== "VALID" && s.answer.code !== "RATE_LIMITED") ||
      s.answer.degraded === true ||
      s.answer.rateLimits?.[0]?.name !== "requests",
  );
  expect(unexpected.slice(0, 3), `${unexpected.length} unexpected answers`).toEqual([]);
  const { admitted, full } = admittedPerWindow(sent);
  const counts = Object.fromEntries(admitted);
  console.info(
    `rate limit over ${servers.length} process(es): ${RATE_REQUESTS} verifications in ${seconds.toFixed(1)} s ` +
      `(${Math.round(RATE_REQUESTS / seconds)}/s, ${CONCURRENCY} in flight); admitted per window ${JSON.stringify(counts)}`,
  );
  expect(full.length, `whole windows covered: ${JSON.stringify(counts)}`).toBeGreaterThanOrEqual(
    FULL_WINDOWS,
  );
  for (const [window, count] of admitted) {
    expect(count, `window ${window} admits at most the limit`).toBeLessThanOrEqual(LIMIT);
  }
  for (const window of full) {
    expect(admitted.get(window), `whole window ${window} admits the limit`).toBeGreaterThanOrEqual(
      LIMIT - TOLERANCE,
    );
  }
}

/**
 * Sends `QUOTA_REQUESTS` verifications of a key with a quota of `QUOTA` over the servers as fast as they answer,
 * and asserts exactly `QUOTA` were admitted, each spending one distinct unit, and every later one refused; then
 * that GET /v1/keys/{id} on every server shows the balance at zero once written back.
 */
async function expectQuotaHeld(servers: readonly ServerProcess[], token: string): Promise<void> {
  const metered = await createKey(servers[0] as ServerProcess, token, {
    name: "quota",
    quota: { remaining: QUOTA },
  });
  const started = Date.now();
  const sent = await verifyMany({ servers, token, key: metered.key, total: QUOTA_REQUESTS });
  const seconds = (Date.now() - started) / 1000;
  console.info(
    `quota over ${servers.length} process(es): ${QUOTA_REQUESTS} verifications in ${seconds.toFixed(1)} s ` +
      `(${Math.round(QUOTA_REQUESTS / seconds)}/s, ${CONCURRENCY} in flight)`,
  );

  const unexpected = sent.filter(
    (s) =>
      s.status !== 200 ||
      (s.answer.code !== "VALID" && s.answer.code !== "USAGE_EXCEEDED") ||
      s.answer.degraded === true ||
      s.answer.quota === undefined,
  );
  expect(unexpected.slice(0, 3), `${unexpected.length} unexpected answers`).toEqual([]);
  const admitted = sent.filter((s) => s.answer.valid);
  expect(admitted).toHaveLength(QUOTA);
  // Each admitted verification spent one unit of the one shared balance: the balances they saw are 4999..0.
  const balances = admitted.map((s) => s.answer.quota?.remaining ?? -1).sort((a, b) => a - b);
  expect(balances).toEqual(Array.from({ length: QUOTA }, (_, i) => i));
  const refused = sent.filter((s) => !s.answer.valid);
  expect(refused.every((s) => s.answer.quota?.remaining === 0)).toBe(true);
  // Once a refusal came back, the balance was spent for good: nothing sent after it was admitted.
  const firstRefusalAt = Math.min(...refused.map((s) => s.answeredAt));
  expect(admitted.filter((s) => s.sentAt > firstRefusalAt)).toEqual([]);

  for (const server of servers) {
    const deadline = Date.now() + 10_000;
    let remaining: number | undefined;
    // Balances are written back in batches (every KEYWARD_USAGE_FLUSH_MS): wait for the write, not a fixed time.
    while (Date.now() < deadline) {
      const res = await requestJson<{ quota: { remaining: number } | null }>(
        server.url,
        token,
        "GET",
        `/v1/keys/${metered.id}`,
      );
      expect(res.status).toBe(200);
      remaining = res.body.quota?.remaining;
      if (remaining === 0) break;
      await delay(50);
    }
    expect(remaining, `GET /v1/keys/{id} on ${server.url}`).toBe(0);
  }
}

let dataDir: string | undefined;
const processes: ServerProcess[] = [];

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

/** Starts `count` processes on one fresh data directory; the first initializes it. Returns them and the root token. */
async function startProcesses(count: number, env: Record<string, string>) {
  dataDir = mkdtempSync(join(tmpdir(), "keyward-e2e-limits-"));
  const shared = {
    KEYWARD_DATA_DIR: dataDir,
    KEYWARD_MASTER_KEY: randomBytes(32).toString("base64"),
    KEYWARD_USAGE_FLUSH_MS: "100",
    ...env,
  };
  const first = await startServerProcess(shared);
  processes.push(first);
  const token = first.rootToken;
  if (token === null) throw new Error("a fresh data directory must print a root token");
  const others = await Promise.all(Array.from({ length: count - 1 }, () => startServerProcess(shared)));
  processes.push(...others);
  return { servers: [first, ...others], token };
}

describe.skipIf(!redisUp)(
  "rate limits and quotas over three processes sharing Redis (the built server)",
  () => {
    const prefix = `keyward-e2e-${randomBytes(6).toString("hex")}:`;

    afterEach(async () => {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    });

    it("admits at most 1,000 per 5 s window, and 1,000 within 1% in every whole window, over 10,000 verifications", async () => {
      const { servers, token } = await startProcesses(3, {
        KEYWARD_REDIS_URL: REDIS_URL,
        KEYWARD_REDIS_PREFIX: prefix,
      });
      await expectRateLimitHeld(servers, token);
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        expect((await redis.keys(`${prefix}*`)).length, "the counts live in Redis").toBeGreaterThan(0);
      } finally {
        redis.disconnect();
      }
    }, 90_000);

    it("admits exactly a quota of 5,000 out of 8,000 verifications, then USAGE_EXCEEDED, and GET shows 0 left", async () => {
      const { servers, token } = await startProcesses(3, {
        KEYWARD_REDIS_URL: REDIS_URL,
        KEYWARD_REDIS_PREFIX: prefix,
      });
      await expectQuotaHeld(servers, token);
    }, 90_000);
  },
);

describe.skipIf(!built)(
  "rate limits and quotas in one process with the memory backend (the built server)",
  () => {
    it("admits at most 1,000 per 5 s window, and 1,000 within 1% in every whole window, over 10,000 verifications", async () => {
      const { servers, token } = await startProcesses(1, {});
      await expectRateLimitHeld(servers, token);
    }, 90_000);

    it("admits exactly a quota of 5,000 out of 8,000 verifications, then USAGE_EXCEEDED, and GET shows 0 left", async () => {
      const { servers, token } = await startProcesses(1, {});
      await expectQuotaHeld(servers, token);
    }, 90_000);
  },
);
