import { writeEffects } from "./postgres-change-effects.js";
import type { PostgresDatabase, Queryable } from "./postgres-database.js";
import { POSTGRES_BYTE_ORDER, projectPageSql } from "./project-page-sql.js";
import type { ChangeEffect, EffectsFor, NewEvent } from "./records.js";
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
  enabled: boolean;
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
  event_id: string;
  attempt: number;
  attempted_at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
}

interface ClaimedRow {
  webhook_id: string;
  event_id: string;
  attempts: number;
  window_start: number;
  next_attempt_at: number;
  url: string;
  sealed_secret: string;
  type: string;
  payload: string;
  created_at: number;
}

const WEBHOOK_COLUMNS = "id, project_id, url, description, events, enabled, created_at, updated_at";
const SELECT_DELIVERIES = `SELECT d.webhook_id, d.event_id, e.type, d.status, d.attempts, d.next_attempt_at,
  d.delivered_at, e.created_at FROM webhook_deliveries d JOIN events e ON e.id = d.event_id`;

/** The PostgreSQL {@link WebhookStore}, sharing its pool (and transactions) with the key store. */
export class PostgresWebhookStore implements WebhookStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async createWebhook(webhook: NewWebhook, effects: readonly ChangeEffect[] = []): Promise<void> {
    const r = webhook.record;
    await this.#database.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO webhooks (${WEBHOOK_COLUMNS}, sealed_secret) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          r.id,
          r.projectId,
          r.url,
          r.description,
          JSON.stringify(r.events),
          r.enabled,
          r.createdAt,
          r.updatedAt,
          webhook.sealedSecret,
        ],
      );
      await writeEffects(tx, effects);
    });
  }

  async findWebhook(id: string): Promise<WebhookRecord | null> {
    const { rows } = await this.#database.query<WebhookRow>(
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    return row === undefined ? null : toWebhook(row);
  }

  async listWebhooks(query: {
    projectIds: readonly string[] | null;
    limit: number;
    after?: string;
  }): Promise<WebhookRecord[]> {
    const page = projectPageSql("postgres", "webhooks", WEBHOOK_COLUMNS, query);
    if (page === null) return [];
    const { rows } = await this.#database.query<WebhookRow>(page.sql, page.params);
    return rows.map(toWebhook);
  }

  async updateWebhook(
    id: string,
    patch: WebhookPatch,
    nowMs: number,
    effectsFor?: EffectsFor<WebhookRecord>,
  ): Promise<WebhookRecord | null> {
    const params: unknown[] = [id, nowMs];
    const sets = ["updated_at = $2"];
    const column = (name: string, value: unknown): void => {
      params.push(value);
      sets.push(`${name} = $${params.length}`);
    };
    if (patch.url !== undefined) column("url", patch.url);
    if (patch.description !== undefined) column("description", patch.description);
    if (patch.events !== undefined) column("events", JSON.stringify(patch.events));
    if (patch.enabled !== undefined) column("enabled", patch.enabled);
    // One statement: the change and the record it returns cannot be split by another writer.
    return this.#database.transaction(async (tx) => {
      const { rows } = await tx.query<WebhookRow>(
        `UPDATE webhooks SET ${sets.join(", ")} WHERE id = $1 RETURNING ${WEBHOOK_COLUMNS}`,
        params,
      );
      const row = rows[0];
      if (row === undefined) return null;
      const updated = toWebhook(row);
      if (effectsFor !== undefined) await writeEffects(tx, effectsFor(updated));
      return updated;
    });
  }

  async deleteWebhook(id: string, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    // Deliveries and their attempts go with it (ON DELETE CASCADE); events stay for other webhooks.
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query("DELETE FROM webhooks WHERE id = $1", [id]);
      if (rowCount > 0) await writeEffects(tx, effects);
      return rowCount > 0;
    });
  }

  async appendEvents(events: readonly NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.#database.transaction((tx) => writeEffects(tx, events));
  }

  async claimDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    const { nowMs, leaseUntilMs, limit } = claim;
    if (limit <= 0) return [];
    return this.#database.transaction(async (tx): Promise<ClaimedDelivery[]> => {
      // Webhook by webhook, earliest-due first, each through the (webhook_id, next_attempt_at) index: a backlog
      // for one dead receiver is never scanned past to reach the others.
      const { rows: webhooks } = await tx.query<{ id: string }>(
        `SELECT w.id FROM webhooks w
         CROSS JOIN LATERAL (SELECT d.next_attempt_at FROM webhook_deliveries d
           WHERE d.webhook_id = w.id AND d.status = 'pending' AND d.next_attempt_at <= $1
             AND (d.lease_until IS NULL OR d.lease_until <= $1)
           ORDER BY d.next_attempt_at LIMIT 1) due
         WHERE w.enabled ORDER BY due.next_attempt_at, w.id ${POSTGRES_BYTE_ORDER}`,
        [nowMs],
      );
      const claimed: ClaimedDelivery[] = [];
      for (const { id } of webhooks) {
        const room = limit - claimed.length;
        if (room <= 0) break;
        const share =
          claim.perWebhookLimit === undefined
            ? room
            : Math.min(room, claim.perWebhookLimit - (claim.inFlight?.get(id) ?? 0));
        if (share <= 0) continue;
        claimed.push(...(await leaseDue(tx, { webhookId: id, nowMs, leaseUntilMs, limit: share })));
      }
      return claimed;
    });
  }

  async finishDelivery(result: DeliveryResult): Promise<void> {
    const { webhookId, eventId, attempt, outcome } = result;
    await this.#database.transaction(async (tx) => {
      // Locks the delivery: a claim of the next attempt or a deletion waits until this result is written.
      const { rows } = await tx.query<{ attempts: number }>(
        "SELECT attempts FROM webhook_deliveries WHERE webhook_id = $1 AND event_id = $2 FOR UPDATE",
        [webhookId, eventId],
      );
      const current = rows[0];
      if (current === undefined) return;
      await tx.query(
        `INSERT INTO webhook_attempts (webhook_id, event_id, attempt, attempted_at, duration_ms, status_code,
           error, response_body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
        [
          webhookId,
          eventId,
          attempt.attempt,
          attempt.attemptedAt,
          attempt.durationMs,
          attempt.statusCode,
          attempt.error,
          attempt.responseBody,
        ],
      );
      // A worker whose lease ran out may finish after another worker started a later attempt: its result is
      // still history, but it must not overwrite the newer attempt's state.
      if (current.attempts !== attempt.attempt) return;
      const nextAttemptAt = outcome.status === "pending" ? outcome.nextAttemptAt : attempt.attemptedAt;
      const deliveredAt = outcome.status === "delivered" ? attempt.attemptedAt + attempt.durationMs : null;
      await tx.query(
        `UPDATE webhook_deliveries SET status = $3, next_attempt_at = $4, lease_until = NULL, delivered_at = $5
         WHERE webhook_id = $1 AND event_id = $2 AND attempts = $6`,
        [webhookId, eventId, outcome.status, nextAttemptAt, deliveredAt, attempt.attempt],
      );
    });
  }

  async listDeliveries(
    webhookId: string,
    query: { limit: number; after?: string; status?: DeliveryStatus },
  ): Promise<DeliveryRecord[]> {
    const params: unknown[] = [webhookId, query.limit];
    const where = ["d.webhook_id = $1"];
    if (query.after !== undefined) {
      params.push(query.after);
      where.push(`d.event_id ${POSTGRES_BYTE_ORDER} < $${params.length}`);
    }
    if (query.status !== undefined) {
      params.push(query.status);
      where.push(`d.status = $${params.length}`);
    }
    const { rows } = await this.#database.query<DeliveryRow>(
      `${SELECT_DELIVERIES} WHERE ${where.join(" AND ")} ORDER BY d.event_id ${POSTGRES_BYTE_ORDER} DESC LIMIT $2`,
      params,
    );
    return this.#withAttempts(webhookId, rows);
  }

  async findDelivery(webhookId: string, eventId: string): Promise<DeliveryRecord | null> {
    const { rows } = await this.#database.query<DeliveryRow>(
      `${SELECT_DELIVERIES} WHERE d.webhook_id = $1 AND d.event_id = $2`,
      [webhookId, eventId],
    );
    const [delivery] = await this.#withAttempts(webhookId, rows);
    return delivery ?? null;
  }

  async retryDelivery(
    webhookId: string,
    eventId: string,
    nowMs: number,
    effects: readonly ChangeEffect[] = [],
  ): Promise<DeliveryRecord | null> {
    await this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query(
        `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, window_start = $3,
           lease_until = NULL, delivered_at = NULL
         WHERE webhook_id = $1 AND event_id = $2 AND status <> 'pending'`,
        [webhookId, eventId, nowMs],
      );
      if (rowCount > 0) await writeEffects(tx, effects);
    });
    return this.findDelivery(webhookId, eventId);
  }

  async pruneEvents(beforeMs: number): Promise<number> {
    const { rowCount } = await this.#database.query(
      `DELETE FROM events WHERE created_at < $1 AND NOT EXISTS
         (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id AND d.status = 'pending')`,
      [beforeMs],
    );
    return rowCount;
  }

  async countPendingDeliveries(): Promise<number> {
    // count(*) is a bigint, which pg returns as a string.
    const { rows } = await this.#database.query<{ pending: string }>(
      "SELECT count(*) AS pending FROM webhook_deliveries WHERE status = 'pending'",
    );
    return Number(rows[0]?.pending ?? 0);
  }

  /** The deliveries with their attempt logs, read in one query for the whole page. */
  async #withAttempts(webhookId: string, rows: readonly DeliveryRow[]): Promise<DeliveryRecord[]> {
    if (rows.length === 0) return [];
    const { rows: attempts } = await this.#database.query<AttemptRow>(
      `SELECT event_id, attempt, attempted_at, duration_ms, status_code, error, response_body
       FROM webhook_attempts WHERE webhook_id = $1 AND event_id = ANY($2::text[]) ORDER BY event_id, attempt`,
      [webhookId, rows.map((r) => r.event_id)],
    );
    const logs = new Map<string, DeliveryAttempt[]>();
    for (const attempt of attempts) {
      const log = logs.get(attempt.event_id);
      if (log === undefined) logs.set(attempt.event_id, [toAttempt(attempt)]);
      else log.push(toAttempt(attempt));
    }
    return rows.map((row) => ({
      id: row.event_id,
      webhookId: row.webhook_id,
      eventType: row.type,
      status: row.status,
      attempts: row.attempts,
      nextAttemptAt: row.status === "pending" ? row.next_attempt_at : null,
      deliveredAt: row.delivered_at,
      createdAt: row.created_at,
      attemptLog: logs.get(row.event_id) ?? [],
    }));
  }
}

/**
 * Leases up to `limit` due deliveries of one webhook, earliest-due first, counting an attempt for each.
 * `FOR UPDATE SKIP LOCKED` makes concurrent workers pass over rows another one is leasing, and READ COMMITTED
 * re-checks the conditions on the latest row version, so a delivery is leased by exactly one worker.
 */
async function leaseDue(
  tx: Queryable,
  lease: { webhookId: string; nowMs: number; leaseUntilMs: number; limit: number },
): Promise<ClaimedDelivery[]> {
  const { rows } = await tx.query<ClaimedRow>(
    `WITH due AS (
       SELECT d.webhook_id, d.event_id FROM webhook_deliveries d
       WHERE d.webhook_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= $2
         AND (d.lease_until IS NULL OR d.lease_until <= $2)
       ORDER BY d.next_attempt_at, d.event_id ${POSTGRES_BYTE_ORDER} LIMIT $4
       FOR UPDATE SKIP LOCKED
     )
     UPDATE webhook_deliveries d SET lease_until = $3, attempts = d.attempts + 1
     FROM due, webhooks w, events e
     WHERE d.webhook_id = due.webhook_id AND d.event_id = due.event_id
       AND w.id = d.webhook_id AND w.enabled AND e.id = d.event_id
     RETURNING d.webhook_id, d.event_id, d.attempts, d.window_start, d.next_attempt_at, w.url, w.sealed_secret,
       e.type, e.payload, e.created_at`,
    [lease.webhookId, lease.nowMs, lease.leaseUntilMs, lease.limit],
  );
  // RETURNING has no order of its own.
  rows.sort((a, b) =>
    a.next_attempt_at !== b.next_attempt_at
      ? a.next_attempt_at - b.next_attempt_at
      : a.event_id < b.event_id
        ? -1
        : 1,
  );
  return rows.map((row) => ({
    webhookId: row.webhook_id,
    eventId: row.event_id,
    attempt: row.attempts,
    windowStartMs: row.window_start,
    url: row.url,
    sealedSecret: row.sealed_secret,
    eventType: row.type,
    payload: row.payload,
    eventCreatedAt: row.created_at,
  }));
}

function toWebhook(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as string[],
    enabled: row.enabled,
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
