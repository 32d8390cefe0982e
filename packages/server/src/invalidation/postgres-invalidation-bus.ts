import { createHash, randomBytes } from "node:crypto";
import { KeywardError } from "@keyward/core/keyward-error.js";
import pg from "pg";
import { applicationName, PostgresDatabase } from "../store/postgres-database.js";
import type {
  Invalidation,
  InvalidationBus,
  InvalidationBusState,
  InvalidationListener,
} from "./invalidation-bus.js";
import { decodeInvalidation, encodeInvalidation } from "./invalidation-message.js";
import { reconnectDelayMs } from "./reconnect-backoff.js";

/** Options for {@link PostgresInvalidationBus}. */
export interface PostgresInvalidationBusOptions {
  /** The database the stores use; the listening connection is opened with it (never printed: it may hold a password). */
  connectionString: string;
  /** The stores' schema: installations in different schemas of one database do not hear each other. */
  schema: string;
  connectTimeoutMs?: number;
}

/**
 * Invalidations over PostgreSQL `LISTEN/NOTIFY`: the database every node already shares carries them, so no other
 * engine is needed. One dedicated connection per node listens (the pool's connections come and go); when it drops,
 * the node drops its caches and reconnects with backoff, and drops them again once listening. Notifications go out
 * through a small pool of the bus's own, so a revocation is not queued behind a busy store pool.
 */
export class PostgresInvalidationBus implements InvalidationBus {
  readonly #options: PostgresInvalidationBusOptions;
  readonly #origin = randomBytes(8).toString("hex");
  readonly #channel: string;
  readonly #publisher: PostgresDatabase;
  #listener: InvalidationListener | null = null;
  #client: pg.Client | null = null;
  #state: InvalidationBusState = "reconnecting";
  #attempt = 0;
  #retry: NodeJS.Timeout | null = null;

  constructor(options: PostgresInvalidationBusOptions) {
    this.#options = options;
    this.#channel = channelFor(options.schema);
    this.#publisher = new PostgresDatabase({
      connectionString: options.connectionString,
      schema: options.schema,
      maxConnections: 2,
      connectionTimeoutMs: options.connectTimeoutMs ?? 5_000,
    });
  }

  async publish(invalidation: Invalidation): Promise<void> {
    if (this.#state === "closed") throw closedError();
    for (const message of encodeInvalidation(this.#origin, invalidation)) {
      await this.#publisher.query("SELECT pg_notify($1, $2)", [this.#channel, message]);
    }
  }

  async listen(listener: InvalidationListener): Promise<void> {
    if (this.#listener !== null) throw new Error("This invalidation bus already has a listener.");
    this.#listener = listener;
    await this.#connect();
  }

  state(): InvalidationBusState {
    return this.#state;
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    if (this.#retry !== null) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
    await this.#publisher.close();
  }

  /** The server-side process id of the listening connection, so tests can cut it as an outage would. */
  get listenerProcessId(): number | null {
    return (this.#client as (pg.Client & { processID?: number }) | null)?.processID ?? null;
  }

  async #connect(): Promise<void> {
    this.#retry = null;
    const client = new pg.Client({
      connectionString: this.#options.connectionString,
      connectionTimeoutMillis: this.#options.connectTimeoutMs ?? 5_000,
      application_name: applicationName(this.#options.schema, "invalidations"),
      // A silently dead network path is noticed by TCP keepalive rather than never.
      keepAlive: true,
    });
    client.on("error", () => this.#lost(client));
    client.on("end", () => this.#lost(client));
    client.on("notification", (notification) => this.#deliver(notification.payload));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel}"`);
    } catch {
      await client.end().catch(() => {});
      this.#scheduleReconnect();
      return;
    }
    if (this.#state === "closed") {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#state = "listening";
    this.#attempt = 0;
    // Listening starts now: whatever was cached before may have missed a change.
    this.#listener?.onGap();
  }

  #lost(client: pg.Client): void {
    if (client !== this.#client || this.#state === "closed") return;
    this.#client = null;
    this.#state = "reconnecting";
    client.end().catch(() => {});
    this.#listener?.onGap();
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#state === "closed") return;
    this.#state = "reconnecting";
    const delay = reconnectDelayMs(this.#attempt++);
    this.#retry = setTimeout(() => void this.#connect(), delay);
    // A node shutting down must not wait for a reconnection that nobody needs.
    this.#retry.unref();
  }

  #deliver(payload: string | undefined): void {
    const decoded = decodeInvalidation(payload ?? "");
    if (decoded.type === "unreadable") {
      this.#listener?.onGap();
      return;
    }
    if (decoded.origin !== this.#origin) this.#listener?.onInvalidation(decoded.invalidation);
  }
}

/** One channel per schema, within PostgreSQL's 63-byte identifier limit. */
function channelFor(schema: string): string {
  const channel = `keyward_invalidations.${schema}`;
  if (channel.length <= 63) return channel;
  return `keyward_invalidations.${createHash("sha256").update(schema).digest("hex").slice(0, 32)}`;
}

function closedError(): KeywardError {
  return new KeywardError("INVALIDATION_BUS_UNAVAILABLE", "The invalidation bus is closed.", {
    retryable: true,
  });
}
