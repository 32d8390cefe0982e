import { KeywardError } from "@keyward/core/keyward-error.js";
import {
  assertQuotaAdjustment,
  assertQuotaStep,
  type QuotaAdjustment,
  type QuotaBalance,
  type QuotaRefill,
} from "@keyward/core/quota-balance.js";
import { assertSlidingWindowCharge } from "@keyward/core/sliding-window.js";
import { Redis } from "ioredis";
import {
  assertDistinctLimitKeys,
  type ChargeRequest,
  type ChargeResult,
  type LimitResult,
  type RateLimiter,
} from "./rate-limiter.js";

/** Options for {@link RedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /** `redis://` or `rediss://` URL; it may carry a password, so it is never put in an error. */
  url: string;
  /** Put before every key Keyward writes (default `keyward:`). */
  prefix?: string;
  /** How long a command may take, queueing for a connection included, before RATE_LIMITER_UNAVAILABLE (500). */
  commandTimeoutMs?: number;
  /** How long opening a TCP connection may take (1000). */
  connectTimeoutMs?: number;
}

/**
 * One `charge`, atomic because Redis runs a script alone: the sliding window counter of
 * `@keyward/core/sliding-window.ts` (decideSlidingWindows) for every limit, then the quota step of
 * `@keyward/core/quota-balance.ts` (chargeQuotaBalance), mirrored line by line. Numbers are integers kept exact
 * in Lua's doubles: divisions are `x - math.fmod(x, m)` and values are written and answered as `%d` strings
 * (Lua's `tostring` would write `1e+15`, and ioredis 6.0.0 decodes integer replies near 2^53 off by one,
 * redis/ioredis#2164). The time is the caller's `nowMs`, never Redis `TIME`, so every node and every test agrees.
 *
 * KEYS: the limit hashes (`ms` windowMs, `w` window index, `c` current, `p` previous), then the quota hash (`r`
 * remaining, `a` refilledAt) when there is one. ARGV: nowMs, the limit count, (limit, windowMs, cost) per limit,
 * then the quota's cost, seed remaining, seed refilledAt, refill amount (-1 for none), refill boundary.
 * Reply, as strings: (allowed 1/0, remaining, resetAt) per limit, then (allowed 1/0, remaining, refilledAt) for
 * the quota.
 */
const CHARGE_LUA = `
local function whole(n) return string.format("%d", n) end
local now = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local windows = {}
local all = true
for i = 1, count do
  local at = 3 + (i - 1) * 3
  local limit, windowMs, cost = tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local elapsed = math.fmod(now, windowMs)
  local index = (now - elapsed) / windowMs
  local current, previous = 0, 0
  local stored = redis.call("HMGET", KEYS[i], "ms", "w", "c", "p")
  if tonumber(stored[1]) == windowMs then
    local storedIndex = tonumber(stored[2])
    if storedIndex > index then
      -- Another node's clock runs ahead: read its window as at its start, which counts the most.
      index, elapsed = storedIndex, 0
      current, previous = tonumber(stored[3]), tonumber(stored[4])
    elseif storedIndex == index then
      current, previous = tonumber(stored[3]), tonumber(stored[4])
    elseif storedIndex == index - 1 then
      previous = tonumber(stored[3])
    end
  end
  local used = previous * (windowMs - elapsed) + current * windowMs
  local allowed = cost <= limit and used + cost * windowMs <= limit * windowMs
  all = all and allowed
  windows[i] = { limit = limit, windowMs = windowMs, cost = cost, index = index,
    current = current, previous = previous, used = used, allowed = allowed }
end
local reply = {}
for i = 1, count do
  local w = windows[i]
  local charged = 0
  if all then
    charged = w.cost
    redis.call("HSET", KEYS[i], "ms", whole(w.windowMs), "w", whole(w.index),
      "c", whole(w.current + charged), "p", whole(w.previous))
    -- The state counts until the end of the next window: two windows from the last write cover it. Redis expires
    -- by its own clock, not by nowMs, so 5 s more cover nodes whose clocks run behind and the time in transit.
    redis.call("PEXPIRE", KEYS[i], whole(2 * w.windowMs + 5000))
  end
  local room = w.limit * w.windowMs - w.used - charged * w.windowMs
  if room < 0 then room = 0 end
  reply[#reply + 1] = w.allowed and "1" or "0"
  reply[#reply + 1] = whole((room - math.fmod(room, w.windowMs)) / w.windowMs)
  reply[#reply + 1] = whole((w.index + 1) * w.windowMs)
end
if #KEYS > count then
  local at = 3 + count * 3
  local key = KEYS[count + 1]
  local cost = tonumber(ARGV[at])
  local remaining, refilledAt = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local refillAmount, refillBoundary = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
  local stored = redis.call("HMGET", key, "r", "a")
  if stored[1] then remaining, refilledAt = tonumber(stored[1]), tonumber(stored[2]) end
  if refillAmount >= 0 and refilledAt < refillBoundary then remaining, refilledAt = refillAmount, refillBoundary end
  local allowed = remaining >= cost
  if allowed and all then
    remaining = remaining - cost
    redis.call("HSET", key, "r", whole(remaining), "a", whole(refilledAt))
  end
  reply[#reply + 1] = allowed and "1" or "0"
  reply[#reply + 1] = whole(remaining)
  reply[#reply + 1] = whole(refilledAt)
end
return reply
`;

/**
 * `adjustQuotaBalance` of `@keyward/core/quota-balance.ts`, atomic. KEYS: the quota hash. ARGV: the adjustment's
 * field (set, increment, decrement), its amount, seed remaining, seed refilledAt, refill amount (-1 for none),
 * refill boundary. Reply, as strings: remaining, refilledAt.
 */
const ADJUST_QUOTA_LUA = `
local function whole(n) return string.format("%d", n) end
local remaining, refilledAt = tonumber(ARGV[3]), tonumber(ARGV[4])
local refillAmount, refillBoundary = tonumber(ARGV[5]), tonumber(ARGV[6])
local stored = redis.call("HMGET", KEYS[1], "r", "a")
if stored[1] then remaining, refilledAt = tonumber(stored[1]), tonumber(stored[2]) end
if refillAmount >= 0 and refilledAt < refillBoundary then remaining, refilledAt = refillAmount, refillBoundary end
local amount = tonumber(ARGV[2])
if ARGV[1] == "set" then
  remaining = amount
elseif ARGV[1] == "increment" then
  remaining = math.min(9007199254740991, remaining + amount)
else
  remaining = math.max(0, remaining - amount)
end
redis.call("HSET", KEYS[1], "r", whole(remaining), "a", whole(refilledAt))
return { whole(remaining), whole(refilledAt) }
`;

/** The scripts, as ioredis adds them to the client (EVALSHA, falling back to EVAL after a NOSCRIPT). */
interface ScriptCommands {
  keywardCharge(keyCount: number, ...keysAndArgs: (string | number)[]): Promise<string[]>;
  keywardAdjustQuota(key: string, ...args: (string | number)[]): Promise<string[]>;
}

/** Redis errors that say "not now" rather than "never": the same request may succeed later. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|OOM)\b/;

/**
 * A {@link RateLimiter} on Redis, shared by every Keyward process: one Lua script per `charge` does every limit
 * and the quota in one atomic round trip. Limit state expires two windows (and 5 s) after its last charge; quota balances
 * have no TTL (they are balances, not caches) until {@link forgetQuota}. All keys of one charge must live on one
 * Redis node: a standalone server or a Sentinel-managed primary, not a Redis Cluster.
 *
 * A dead Redis fails fast: each command gets `commandTimeoutMs` in all, a queued command is dropped after one
 * reconnection attempt, and unfulfilled commands are never resent after a reconnect (a charge may already have
 * been counted). Every failure becomes RATE_LIMITER_UNAVAILABLE, retryable unless Redis refused the command itself.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #client: Redis & ScriptCommands;
  readonly #prefix: string;
  #closed = false;

  constructor(options: RedisRateLimiterOptions) {
    const { url, prefix = "keyward:", commandTimeoutMs = 500, connectTimeoutMs = 1_000 } = options;
    for (const [name, value] of [
      ["commandTimeoutMs", commandTimeoutMs],
      ["connectTimeoutMs", connectTimeoutMs],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`Expected ${name} to be a positive integer, got ${value}.`);
      }
    }
    this.#prefix = prefix;
    const client = new Redis(url, {
      commandTimeout: commandTimeoutMs,
      connectTimeout: connectTimeoutMs,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 100, 2_000),
      autoResendUnfulfilledCommands: false,
      // Concurrent charges issued in one tick go out in one write.
      enableAutoPipelining: true,
    });
    // Every command reports its own failure; without a listener ioredis would print each reconnection error.
    client.on("error", () => {});
    client.defineCommand("keywardCharge", { lua: CHARGE_LUA });
    client.defineCommand("keywardAdjustQuota", { lua: ADJUST_QUOTA_LUA, numberOfKeys: 1 });
    this.#client = client as Redis & ScriptCommands;
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const { limits, quota, nowMs } = request;
    assertDistinctLimitKeys(request);
    for (const limit of limits) assertSlidingWindowCharge({ ...limit, nowMs });
    if (quota !== undefined) assertQuotaStep(quota);
    const keys = limits.map((limit) => this.#limitKey(limit.key));
    const args: number[] = [nowMs, limits.length];
    for (const limit of limits) args.push(limit.limit, limit.windowMs, limit.cost);
    if (quota !== undefined) {
      keys.push(this.#quotaKey(quota.key));
      args.push(quota.cost, quota.seed.remaining, quota.seed.refilledAt, ...refillArgs(quota.refill));
    }
    const reply = await this.#run(() => this.#client.keywardCharge(keys.length, ...keys, ...args));
    const at = (index: number): number => Number(reply[index]);
    const result: ChargeResult = {
      limits: limits.map(
        (limit, index): LimitResult => ({
          allowed: at(3 * index) === 1,
          limit: limit.limit,
          remaining: at(3 * index + 1),
          resetAt: at(3 * index + 2),
        }),
      ),
    };
    if (quota !== undefined) {
      const base = 3 * limits.length;
      result.quota = {
        allowed: at(base) === 1,
        balance: { remaining: at(base + 1), refilledAt: at(base + 2) },
      };
    }
    return result;
  }

  async adjustQuota(
    key: string,
    adjustment: QuotaAdjustment,
    seed: QuotaBalance,
    refill?: QuotaRefill,
  ): Promise<QuotaBalance> {
    assertQuotaAdjustment(adjustment);
    assertQuotaStep({ seed, refill });
    const [field, amount] = Object.entries(adjustment)[0] as [string, number];
    const reply = await this.#run(() =>
      this.#client.keywardAdjustQuota(
        this.#quotaKey(key),
        field,
        amount,
        seed.remaining,
        seed.refilledAt,
        ...refillArgs(refill),
      ),
    );
    return { remaining: Number(reply[0]), refilledAt: Number(reply[1]) };
  }

  async readQuota(key: string): Promise<QuotaBalance | null> {
    const [remaining, refilledAt] = await this.#run(() => this.#client.hmget(this.#quotaKey(key), "r", "a"));
    if (remaining == null || refilledAt == null) return null;
    return { remaining: Number(remaining), refilledAt: Number(refilledAt) };
  }

  async forgetQuota(key: string): Promise<void> {
    await this.#run(() => this.#client.del(this.#quotaKey(key)));
  }

  async ping(): Promise<void> {
    await this.#run(() => this.#client.ping());
  }

  /** Quits gracefully when connected (pending replies arrive first), otherwise drops the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#client.status !== "ready") {
      this.#client.disconnect();
      return;
    }
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }

  #limitKey(key: string): string {
    return `${this.#prefix}limit:${key}`;
  }

  #quotaKey(key: string): string {
    return `${this.#prefix}quota:${key}`;
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new KeywardError("RATE_LIMITER_UNAVAILABLE", "The rate limiter is closed.", { retryable: true });
    }
    try {
      return await command();
    } catch (error) {
      throw translateRedisError(error);
    }
  }
}

function refillArgs(refill: QuotaRefill | undefined): [number, number] {
  return refill === undefined ? [-1, 0] : [refill.amount, refill.boundary];
}

/** Any Redis failure as RATE_LIMITER_UNAVAILABLE; the driver's message (which may name the host) stays in `cause`. */
function translateRedisError(error: unknown): KeywardError {
  const refused = error instanceof Error && error.name === "ReplyError";
  const retryable = !refused || TRANSIENT_REPLY.test((error as Error).message);
  const message = refused ? "Redis refused a rate limiter command." : "Redis did not answer.";
  return new KeywardError("RATE_LIMITER_UNAVAILABLE", message, { cause: error, retryable });
}
