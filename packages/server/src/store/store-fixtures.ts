import { randomBytes } from "node:crypto";
import { digestKey } from "@keyward/core/digest-key.js";
import { newId } from "@keyward/core/ids.js";
import { generateKey, keyStart } from "@keyward/core/key-format.js";
import type { KeyRecord } from "@keyward/core/key-record.js";
import type { NewEvent, NewKey, NewToken, ProjectRecord, TokenRecord } from "./records.js";
import type { Stores } from "./stores.js";
import type { NewWebhook, WebhookRecord } from "./webhook-store.js";

/** The instant the conformance suites' records start from. */
export const T0 = Date.parse("2026-11-28T09:00:00.000Z");

/** One event a webhook has a delivery for, with the key the test made it about. */
export interface SeenEvent {
  type: string;
  keyId: string | null;
}

/**
 * Makes and stores records for the conformance suites, only through the store interfaces. Every record takes a
 * time later than the one before, so ids made from it sort in creation order. Events made here are remembered,
 * so a test can tell which key a webhook's delivery is about.
 */
export class StoreFixtures {
  readonly stores: Stores;
  readonly pepper: Buffer = randomBytes(32);
  readonly #events = new Map<string, NewEvent>();
  #tick = 0;

  constructor(stores: Stores) {
    this.stores = stores;
  }

  /** A time later than every earlier call's. */
  nextTime(): number {
    this.#tick += 1;
    return T0 + this.#tick;
  }

  makeProject(overrides: Partial<ProjectRecord> = {}): ProjectRecord {
    const now = this.nextTime();
    return {
      id: newId("proj", { now }),
      name: "acme",
      keyPrefix: "acme",
      policies: {},
      ipAllowlist: null,
      timezone: "UTC",
      recoverableKeys: false,
      require2fa: false,
      createdAt: now,
      ...overrides,
    };
  }

  async createProject(overrides: Partial<ProjectRecord> = {}): Promise<ProjectRecord> {
    const project = this.makeProject(overrides);
    await this.stores.keys.createProject(project);
    return project;
  }

  /** A new key (record, digest and plaintext) expiring a day after its creation unless overridden. */
  makeKey(projectId: string, overrides: Partial<KeyRecord> = {}): NewKey & { key: string } {
    const now = this.nextTime();
    const key = generateKey({ prefix: "acme" });
    const record: KeyRecord = {
      id: newId("key", { now }),
      projectId,
      name: "checkout",
      ownerId: "cust_1",
      start: keyStart(key),
      scopes: ["orders:read", "billing:*"],
      roles: [],
      meta: { plan: "pro" },
      createdAt: now,
      updatedAt: now,
      expiresAt: now + 86_400_000,
      enabled: true,
      revokedAt: null,
      revokedReason: null,
      lastUsedAt: null,
      replacedBy: null,
      replaces: null,
      rateLimits: [],
      quota: null,
      ipAllowlist: null,
      canary: false,
      ...overrides,
    };
    return { key, record, digest: digestKey(key, this.pepper), pepperVersion: 1 };
  }

  async createKey(
    projectId: string,
    overrides: Partial<KeyRecord> = {},
    events: readonly NewEvent[] = [],
  ): Promise<NewKey> {
    const key = this.makeKey(projectId, overrides);
    await this.stores.keys.createKey({ record: key.record, digest: key.digest, pepperVersion: 1 }, events);
    return key;
  }

  makeToken(overrides: Partial<TokenRecord> = {}): NewToken {
    const now = this.nextTime();
    const token = generateKey({ prefix: "kwr" });
    const record: TokenRecord = {
      id: newId("tok", { now }),
      name: "ci",
      permissions: ["keys:*", "projects:read"],
      projectIds: null,
      start: keyStart(token),
      createdBy: null,
      createdAt: now,
      revokedAt: null,
      lastUsedAt: null,
      ...overrides,
    };
    return { record, digest: digestKey(token, this.pepper), pepperVersion: 1 };
  }

  async createToken(overrides: Partial<TokenRecord> = {}): Promise<NewToken> {
    const token = this.makeToken(overrides);
    await this.stores.keys.createToken(token);
    return token;
  }

  /** A webhook subscribed to every event unless overridden, with a sealed secret unique to it. */
  makeWebhook(projectId: string, overrides: Partial<WebhookRecord> = {}): NewWebhook {
    const now = this.nextTime();
    return {
      record: {
        id: newId("wh", { now }),
        projectId,
        url: "https://hooks.example.com/keyward",
        description: "billing sync",
        events: ["*"],
        enabled: true,
        createdAt: now,
        updatedAt: now,
        ...overrides,
      },
      sealedSecret: JSON.stringify({ v: 1, kid: "test", ct: randomBytes(16).toString("base64") }),
    };
  }

  async createWebhook(projectId: string, overrides: Partial<WebhookRecord> = {}): Promise<NewWebhook> {
    const webhook = this.makeWebhook(projectId, overrides);
    await this.stores.webhooks.createWebhook(webhook);
    return webhook;
  }

  /** An event of the project, happening now unless `createdAt` says otherwise; its id sorts by that time. */
  makeEvent(projectId: string, type: string, options: { keyId?: string; createdAt?: number } = {}): NewEvent {
    const createdAt = options.createdAt ?? this.nextTime();
    const event: NewEvent = {
      id: newId("evt", { now: createdAt }),
      projectId,
      type,
      keyId: options.keyId ?? null,
      payload: JSON.stringify({
        type,
        timestamp: new Date(createdAt).toISOString(),
        data: { n: this.#tick },
      }),
      createdAt,
    };
    this.#events.set(event.id, event);
    return event;
  }

  /** Builds one event of each type about the record a change produced. */
  keyEvents(...types: string[]): (record: KeyRecord) => NewEvent[] {
    return (record) => types.map((type) => this.makeEvent(record.projectId, type, { keyId: record.id }));
  }

  /** The events a webhook has deliveries for, oldest first, each with the key it was made about. */
  async eventsSeenBy(webhookId: string): Promise<SeenEvent[]> {
    const seen: SeenEvent[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.stores.webhooks.listDeliveries(webhookId, {
        limit: 100,
        ...(after ? { after } : {}),
      });
      if (page.length === 0) return seen.reverse();
      for (const delivery of page) {
        seen.push({ type: delivery.eventType, keyId: this.#events.get(delivery.id)?.keyId ?? null });
      }
      after = page.at(-1)?.id;
    }
  }
}

/** Every page of a paged list, following `after` from one page's last id to the next page. */
export async function collectPages<T extends { id: string }>(
  list: (after: string | undefined) => Promise<T[]>,
): Promise<T[][]> {
  const pages: T[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await list(after);
    if (page.length === 0) return pages;
    pages.push(page);
    after = page.at(-1)?.id;
  }
}
