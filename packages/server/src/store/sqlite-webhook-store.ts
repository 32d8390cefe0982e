import { projectPageSql } from "./project-page-sql.js";
import type { ChangeEffect, EffectsFor, NewEvent } from "./records.js";
import { writeEffects } from "./sqlite-change-effects.js";
import type { SqliteDatabase } from "./sqlite-database.js";
import type {
  ClaimedDelivery,
  DeliveryAttempt,
  DeliveryClaim,
  DeliveryRecord,
  DeliveryResult,
  DeliveryStatus,
  NewWebhook,
  WebhookPatch,
  WebhookRecord,
  WebhookStore,
} from "./webhook-store.js";

interface WebhookRow {
  id: string;
  project_id: string;
  url: string;
  description: string | null;
  events: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

interface DeliveryRow {
  webhook_id: string;
  event_id: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  delivered_at: number | null;
  created_at: number;
}

interface AttemptRow {
  attempt: number;
  attempted_at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
}

const WEBHOOK_COLUMNS = "id, project_id, url, description, events, enabled, created_at, updated_at";
const SELECT_DELIVERIES = `SELECT d.webhook_id, d.event_id, e.type, d.status, d.attempts, d.next_attempt_at,
  d.delivered_at, e.created_at FROM webhook_deliveries d JOIN events e ON e.id = d.event_id`;

/** The SQLite {@link WebhookStore}, sharing its connection with the key store whose changes fill its queue. */
export class SqliteWebhookStore implements WebhookStore {
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  async createWebhook(webhook: NewWebhook, effects: readonly ChangeEffect[] = []): Promise<void> {
    const r = webhook.record;
    this.#database.write(() => {
      this.#database
        .statement(
          `INSERT INTO webhooks (${WEBHOOK_COLUMNS}, sealed_secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          r.id,
          r.projectId,
          r.url,
          r.description,
          JSON.stringify(r.events),
          r.enabled ? 1 : 0,
          r.createdAt,
          r.updatedAt,
          webhook.sealedSecret,
        );
      writeEffects(this.#database, effects);
    });
  }

  async findWebhook(id: string): Promise<WebhookRecord | null> {
    const row = this.#database.run(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?`, "get", id) as
      | WebhookRow
      | undefined;
    return row === undefined ? null : toWebhook(row);
  }

  async listWebhooks(query: {
    projectIds: readonly string[] | null;
    limit: number;
    after?: string;
  }): Promise<WebhookRecord[]> {
    const page = projectPageSql("sqlite", "webhooks", WEBHOOK_COLUMNS, query);
    if (page === null) return [];
    return (this.#database.run(page.sql, "all", ...page.params) as WebhookRow[]).map(toWebhook);
  }

  async updateWebhook(
    id: string,
    patch: WebhookPatch,
    nowMs: number,
    effectsFor?: EffectsFor<WebhookRecord>,
  ): Promise<WebhookRecord | null> {
    const sets = ["updated_at = ?"];
    const params: unknown[] = [nowMs];
    if (patch.url !== undefined) {
      sets.push("url = ?");
      params.push(patch.url);
    }
    if (patch.description !== undefined) {
      sets.push("description = ?");
      params.push(patch.description);
    }
    if (patch.events !== undefined) {
      sets.push("events = ?");
      params.push(JSON.stringify(patch.events));
    }
    if (patch.enabled !== undefined) {
      sets.push("enabled = ?");
      params.push(patch.enabled ? 1 : 0);
    }
    return this.#database.write((): WebhookRecord | null => {
      const changed = this.#database
        .statement(`UPDATE webhooks SET ${sets.join(", ")} WHERE id = ?`)
        .run(...params, id).changes;
      if (changed === 0) return null;
      const row = this.#database.statement(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?`).get(id) as
        | WebhookRow
        | undefined;
      if (row === undefined) return null;
      const updated = toWebhook(row);
      if (effectsFor !== undefined) writeEffects(this.#database, effectsFor(updated));
      return updated;
    });
  }

  async deleteWebhook(id: string, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    // Deliveries and their attempts go with it (ON DELETE CASCADE); events stay for other webhooks.
    return this.#database.write(() => {
      const { changes } = this.#database.statement("DELETE FROM webhooks WHERE id = ?").run(id);
      if (changes > 0) writeEffects(this.#database, effects);
      return changes > 0;
    });
  }

  async appendEvents(events: readonly NewEvent[]): Promise<void> {
    this.#database.write(() => writeEffects(this.#database, events));
  }

  async claimDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    const { nowMs, leaseUntilMs, limit } = claim;
    // One write transaction: select and lease together, so two workers never lease the same delivery.
    return this.#database.write((): ClaimedDelivery[] => {
      // Webhook by webhook, earliest-due first, each through the (webhook_id, next_attempt_at) index: a backlog
      // for one dead receiver is never scanned past to reach the others.
      const webhooks = this.#database
        .statement(
          `SELECT w.id, (SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d
             WHERE d.webhook_id = w.id AND d.status = 'pending' AND d.next_attempt_at <= ?
               AND (d.lease_until IS NULL OR d.lease_until <= ?)) AS due
           FROM webhooks w WHERE w.enabled = 1 AND due IS NOT NULL ORDER BY due`,
        )
        .all(nowMs, nowMs) as { id: string }[];
      const dueOf = this.#database.statement(
        `SELECT webhook_id, event_id FROM webhook_deliveries
         WHERE webhook_id = ? AND status = 'pending' AND next_attempt_at <= ?
           AND (lease_until IS NULL OR lease_until <= ?)
         ORDER BY next_attempt_at LIMIT ?`,
      );
      const due: { webhook_id: string; event_id: string }[] = [];
      for (const { id } of webhooks) {
        const room = limit - due.length;
        if (room <= 0) break;
        const share =
          claim.perWebhookLimit === undefined
            ? room
            : Math.min(room, claim.perWebhookLimit - (claim.inFlight?.get(id) ?? 0));
        if (share <= 0) continue;
        due.push(...(dueOf.all(id, nowMs, nowMs, share) as { webhook_id: string; event_id: string }[]));
      }
      const lease = this.#database.statement(
        `UPDATE webhook_deliveries SET lease_until = ?, attempts = attempts + 1
         WHERE webhook_id = ? AND event_id = ?`,
      );
      const read = this.#database.statement(
        `SELECT d.attempts, d.window_start, w.url, w.sealed_secret, e.type, e.payload, e.created_at
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
         WHERE d.webhook_id = ? AND d.event_id = ?`,
      );
      const claimed: ClaimedDelivery[] = [];
      for (const { webhook_id: webhookId, event_id: eventId } of due) {
        lease.run(leaseUntilMs, webhookId, eventId);
        const row = read.get(webhookId, eventId) as {
          attempts: number;
          window_start: number;
          url: string;
          sealed_secret: string;
          type: string;
          payload: string;
          created_at: number;
        };
        claimed.push({
          webhookId,
          eventId,
          attempt: row.attempts,
          windowStartMs: row.window_start,
          url: row.url,
          sealedSecret: row.sealed_secret,
          eventType: row.type,
          payload: row.payload,
          eventCreatedAt: row.created_at,
        });
      }
      return claimed;
    });
  }

  async finishDelivery(result: DeliveryResult): Promise<void> {
    const { webhookId, eventId, attempt, outcome } = result;
    this.#database.write(() => {
      // A worker whose lease ran out may finish after another worker started a later attempt: its result is
      // still history, but it must not overwrite the newer attempt's state.
      const current = this.#database
        .statement("SELECT attempts FROM webhook_deliveries WHERE webhook_id = ? AND event_id = ?")
        .get(webhookId, eventId) as { attempts: number } | undefined;
      if (current === undefined) return;
      this.#database
        .statement(
          `INSERT INTO webhook_attempts (webhook_id, event_id, attempt, attempted_at, duration_ms, status_code,
             error, response_body) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .run(
          webhookId,
          eventId,
          attempt.attempt,
          attempt.attemptedAt,
          attempt.durationMs,
          attempt.statusCode,
          attempt.error,
          attempt.responseBody,
        );
      if (current.attempts !== attempt.attempt) return;
      const nextAttemptAt = outcome.status === "pending" ? outcome.nextAttemptAt : attempt.attemptedAt;
      const deliveredAt = outcome.status === "delivered" ? attempt.attemptedAt + attempt.durationMs : null;
      this.#database
        .statement(
          `UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, lease_until = NULL, delivered_at = ?
           WHERE webhook_id = ? AND event_id = ?`,
        )
        .run(outcome.status, nextAttemptAt, deliveredAt, webhookId, eventId);
    });
  }

  async listDeliveries(
    webhookId: string,
    query: { limit: number; after?: string; status?: DeliveryStatus },
  ): Promise<DeliveryRecord[]> {
    const where = ["d.webhook_id = ?"];
    const params: unknown[] = [webhookId];
    if (query.after !== undefined) {
      where.push("d.event_id < ?");
      params.push(query.after);
    }
    if (query.status !== undefined) {
      where.push("d.status = ?");
      params.push(query.status);
    }
    const rows = this.#database.run(
      `${SELECT_DELIVERIES} WHERE ${where.join(" AND ")} ORDER BY d.event_id DESC LIMIT ?`,
      "all",
      ...params,
      query.limit,
    ) as DeliveryRow[];
    return rows.map((row) => this.#toDelivery(row));
  }

  async findDelivery(webhookId: string, eventId: string): Promise<DeliveryRecord | null> {
    const row = this.#database.run(
      `${SELECT_DELIVERIES} WHERE d.webhook_id = ? AND d.event_id = ?`,
      "get",
      webhookId,
      eventId,
    ) as DeliveryRow | undefined;
    return row === undefined ? null : this.#toDelivery(row);
  }

  async retryDelivery(
    webhookId: string,
    eventId: string,
    nowMs: number,
    effects: readonly ChangeEffect[] = [],
  ): Promise<DeliveryRecord | null> {
    this.#database.write(() => {
      const { changes } = this.#database
        .statement(
          `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, window_start = ?, lease_until = NULL,
             delivered_at = NULL
           WHERE webhook_id = ? AND event_id = ? AND status <> 'pending'`,
        )
        .run(nowMs, nowMs, webhookId, eventId);
      if (changes > 0) writeEffects(this.#database, effects);
    });
    return this.findDelivery(webhookId, eventId);
  }

  async pruneEvents(beforeMs: number): Promise<number> {
    const result = this.#database.run(
      `DELETE FROM events WHERE created_at < ? AND NOT EXISTS
         (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id AND d.status = 'pending')`,
      "run",
      beforeMs,
    ) as { changes: number };
    return result.changes;
  }

  async countPendingDeliveries(): Promise<number> {
    const row = this.#database.run(
      "SELECT count(*) AS pending FROM webhook_deliveries WHERE status = 'pending'",
      "get",
    ) as { pending: number };
    return row.pending;
  }

  #toDelivery(row: DeliveryRow): DeliveryRecord {
    const attempts = this.#database
      .statement(
        `SELECT attempt, attempted_at, duration_ms, status_code, error, response_body FROM webhook_attempts
         WHERE webhook_id = ? AND event_id = ? ORDER BY attempt`,
      )
      .all(row.webhook_id, row.event_id) as AttemptRow[];
    return {
      id: row.event_id,
      webhookId: row.webhook_id,
      eventType: row.type,
      status: row.status,
      attempts: row.attempts,
      nextAttemptAt: row.status === "pending" ? row.next_attempt_at : null,
      deliveredAt: row.delivered_at,
      createdAt: row.created_at,
      attemptLog: attempts.map(toAttempt),
    };
  }
}

function toWebhook(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as string[],
    enabled: row.enabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toAttempt(row: AttemptRow): DeliveryAttempt {
  return {
    attempt: row.attempt,
    attemptedAt: row.attempted_at,
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    error: row.error,
    responseBody: row.response_body,
  };
}
