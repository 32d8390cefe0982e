import { randomBytes } from "node:crypto";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { Redis } from "ioredis";
import type {
  Invalidation,
  InvalidationBus,
  InvalidationBusState,
  InvalidationListener,
} from "./invalidation-bus.js";
import { decodeInvalidation, encodeInvalidation } from "./invalidation-message.js";
import { reconnectDelayMs } from "./reconnect-backoff.js";

/** Options for {@link RedisInvalidationBus}. */
export interface RedisInvalidationBusOptions {
  /** `redis://` or `rediss://` URL; it may carry a password, so it is never put in an error. */
  url: string;
  /** The installation's key prefix (default `keyward:`): the channel is `<prefix>invalidations`. */
  prefix?: string;
  connectTimeoutMs?: number;
}

/**
 * Invalidations over Redis pub/sub, for installations that share Redis (for rate limits) but not PostgreSQL, such
 * as several processes on one SQLite file. A subscribed connection can do nothing else, so the bus has two: one
 * to publish, one to listen. ioredis reconnects both; the listening one drops the node's caches when it loses
 * the connection and again once subscribed.
 */
export class RedisInvalidationBus implements InvalidationBus {
  readonly #origin = randomBytes(8).toString("hex");
  readonly #channel: string;
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  #listener: InvalidationListener | null = null;
  #state: InvalidationBusState = "reconnecting";
  /** Resolves the pending listen() once the first connection attempt subscribed or failed. */
  #settleListen: () => void = () => {};

  constructor(options: RedisInvalidationBusOptions) {
    this.#channel = `${options.prefix ?? "keyward:"}invalidations`;
    const common = {
      connectTimeout: options.connectTimeoutMs ?? 1_000,
      retryStrategy: (times: number) => reconnectDelayMs(times - 1),
      lazyConnect: true,
    };
    this.#publisher = new Redis(options.url, {
      ...common,
      commandTimeout: 1_000,
      maxRetriesPerRequest: 1,
      connectionName: "keyward-invalidations-publish",
    });
    this.#subscriber = new Redis(options.url, {
      ...common,
      // Resubscribing is done here, in order: subscribe first, then report the gap.
      autoResubscribe: false,
      // Named per node, so an operator (or a test) can tell the nodes' listening connections apart.
      connectionName: `keyward-invalidations-${this.#origin}`,
    });
    // Failures are reported by state() and by publish(); ioredis would otherwise print every reconnection error.
    this.#publisher.on("error", () => {});
    this.#subscriber.on("error", () => {});
    this.#subscriber.on("message", (_channel: string, message: string) => this.#deliver(message));
    this.#subscriber.on("ready", () => void this.#subscribe());
    this.#subscriber.on("close", () => this.#lost());
  }

  async publish(invalidation: Invalidation): Promise<void> {
    if (this.#state === "closed") throw unavailable("The invalidation bus is closed.");
    try {
      if (this.#publisher.status === "wait") await this.#publisher.connect();
      for (const message of encodeInvalidation(this.#origin, invalidation)) {
        await this.#publisher.publish(this.#channel, message);
      }
    } catch (error) {
      throw unavailable("Redis did not accept the invalidation.", error);
    }
  }

  async listen(listener: InvalidationListener): Promise<void> {
    if (this.#listener !== null) throw new Error("This invalidation bus already has a listener.");
    this.#listener = listener;
    const firstOutcome = new Promise<void>((resolve) => {
      this.#settleListen = resolve;
    });
    // A failed first attempt is retried by ioredis in the background; listen() only waits for the first outcome.
    this.#subscriber.once("error", () => this.#settleListen());
    this.#subscriber.connect().catch(() => {});
    await firstOutcome;
  }

  state(): InvalidationBusState {
    return this.#state;
  }

  /** The Redis client name of the listening connection, so tests can cut it as an outage would. */
  get listenerConnectionName(): string {
    return `keyward-invalidations-${this.#origin}`;
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#subscriber.disconnect();
    this.#publisher.disconnect();
  }

  async #subscribe(): Promise<void> {
    try {
      await this.#subscriber.subscribe(this.#channel);
    } catch {
      // The connection dropped again; its "close" and the next "ready" bring us back here.
      return;
    }
    if (this.#state === "closed") return;
    this.#state = "listening";
    this.#listener?.onGap();
    this.#settleListen();
  }

  #lost(): void {
    if (this.#state !== "listening") return;
    this.#state = "reconnecting";
    this.#listener?.onGap();
  }

  #deliver(payload: string): void {
    const decoded = decodeInvalidation(payload);
    if (decoded.type === "unreadable") {
      this.#listener?.onGap();
      return;
    }
    if (decoded.origin !== this.#origin) this.#listener?.onInvalidation(decoded.invalidation);
  }
}

function unavailable(message: string, cause?: unknown): KeywardError {
  return new KeywardError("INVALIDATION_BUS_UNAVAILABLE", message, {
    retryable: true,
    ...(cause === undefined ? {} : { cause }),
  });
}
