import type { AuditEntryContent } from "@keyward/core/audit-chain.js";
import { newId } from "@keyward/core/ids.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { auditEntry, changeDiff, recordDiff } from "../audit/audit-entry.js";
import { WEBHOOK_AUDIT_FIELDS } from "../audit/audited-fields.js";
import { isSubscribableEventType } from "../events/event-types.js";
import { sealSecret } from "../kms/envelope.js";
import type { Kms } from "../kms/kms.js";
import { redactUrl } from "../logger.js";
import type { DeliveryRecord, DeliveryStatus, WebhookRecord, WebhookStore } from "../store/webhook-store.js";
import { generateWebhookSecret, parseWebhookSecret } from "../webhooks/webhook-secret.js";
import { checkWebhookUrl } from "../webhooks/webhook-url.js";
import type { Clock } from "./clock.js";
import { listPage, type Page } from "./page.js";
import { canAccessProject, type Principal, requirePermission } from "./principal.js";
import type { ProjectService } from "./project-service.js";

/** Options for {@link WebhookService}. */
export interface WebhookServiceOptions {
  store: WebhookStore;
  projects: ProjectService;
  kms: Kms;
  clock: Clock;
  /** Allow plain http to hosts other than loopback. */
  allowInsecureHttp: boolean;
  randomBytes?: (size: number) => Buffer;
  /** Called when a delivery became due now (a retry by hand), so the worker can send it without waiting. */
  onEvents?(): void;
}

/** What a caller gives to create a webhook. */
export interface CreateWebhookInput {
  projectId?: string;
  url: string;
  events: string[];
  description?: string | null;
  /** A `whsec_…` secret to use; one is generated when absent. */
  secret?: string;
  enabled?: boolean;
}

/** What a caller may change on a webhook. */
export interface UpdateWebhookInput {
  url?: string;
  events?: string[];
  description?: string | null;
  enabled?: boolean;
}

/** The AES-GCM context that binds a sealed webhook secret to its webhook. */
export function webhookSecretContext(webhookId: string): string {
  return `webhook-secret:${webhookId}`;
}

/** Registers webhook endpoints per project and shows and retries their deliveries. */
export class WebhookService {
  readonly #options: WebhookServiceOptions;

  constructor(options: WebhookServiceOptions) {
    this.#options = options;
  }

  /** Creates a webhook; returns its signing secret once (it is stored sealed by the KMS). */
  async createWebhook(
    principal: Principal,
    input: CreateWebhookInput,
  ): Promise<{ secret: string; record: WebhookRecord }> {
    requirePermission(principal, "webhooks:write");
    const project = await this.#options.projects.resolveProject(principal, input.projectId);
    const url = checkWebhookUrl(input.url, { allowInsecureHttp: this.#options.allowInsecureHttp });
    const events = checkEvents(input.events);
    if (input.secret !== undefined) parseWebhookSecret(input.secret);
    const secret = input.secret ?? generateWebhookSecret(this.#options.randomBytes);
    const now = this.#options.clock.now();
    const record: WebhookRecord = {
      id: newId("wh", { now }),
      projectId: project.id,
      url,
      description: input.description ?? null,
      events,
      enabled: input.enabled ?? true,
      createdAt: now,
      updatedAt: now,
    };
    const sealed = await sealSecret(
      this.#options.kms,
      Buffer.from(secret, "utf8"),
      webhookSecretContext(record.id),
    );
    await this.#options.store.createWebhook({ record, sealedSecret: JSON.stringify(sealed) }, [
      webhookAudit(
        principal,
        "webhook.created",
        record,
        recordDiff(auditable(record), WEBHOOK_AUDIT_FIELDS),
        now,
      ),
    ]);
    return { secret, record };
  }

  async getWebhook(principal: Principal, id: string): Promise<WebhookRecord> {
    requirePermission(principal, "webhooks:read");
    return this.#findVisible(principal, id);
  }

  /** Webhooks in creation order, of one project or of every project the principal can see. */
  async listWebhooks(
    principal: Principal,
    query: { projectId?: string; limit?: number; cursor?: string },
  ): Promise<Page<WebhookRecord>> {
    requirePermission(principal, "webhooks:read");
    let projectIds: readonly string[] | null = principal.projectIds;
    if (query.projectId !== undefined) {
      projectIds = canAccessProject(principal, query.projectId) ? [query.projectId] : [];
    }
    return listPage(query.limit, query.cursor, (page) =>
      this.#options.store.listWebhooks({ projectIds, ...page }),
    );
  }

  async updateWebhook(principal: Principal, id: string, input: UpdateWebhookInput): Promise<WebhookRecord> {
    requirePermission(principal, "webhooks:write");
    const existing = await this.#findVisible(principal, id);
    const patch = {
      ...(input.url === undefined
        ? {}
        : { url: checkWebhookUrl(input.url, { allowInsecureHttp: this.#options.allowInsecureHttp }) }),
      ...(input.events === undefined ? {} : { events: checkEvents(input.events) }),
      ...(input.description === undefined ? {} : { description: input.description }),
      ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
    };
    const now = this.#options.clock.now();
    const updated = await this.#options.store.updateWebhook(id, patch, now, (webhook) => [
      webhookAudit(
        principal,
        "webhook.updated",
        webhook,
        changeDiff(auditable(existing), auditable(webhook), WEBHOOK_AUDIT_FIELDS),
        now,
      ),
    ]);
    if (updated === null) throw notFound();
    return updated;
  }

  /** Deletes a webhook and its pending and past deliveries. */
  async deleteWebhook(principal: Principal, id: string): Promise<void> {
    requirePermission(principal, "webhooks:write");
    const existing = await this.#findVisible(principal, id);
    const now = this.#options.clock.now();
    const deleted = await this.#options.store.deleteWebhook(id, [
      webhookAudit(
        principal,
        "webhook.deleted",
        existing,
        recordDiff(auditable(existing), WEBHOOK_AUDIT_FIELDS),
        now,
      ),
    ]);
    if (!deleted) throw notFound();
  }

  /** A webhook's deliveries, newest first, each with its attempts. */
  async listDeliveries(
    principal: Principal,
    webhookId: string,
    query: { status?: DeliveryStatus; limit?: number; cursor?: string },
  ): Promise<Page<DeliveryRecord>> {
    requirePermission(principal, "webhooks:read");
    await this.#findVisible(principal, webhookId);
    return listPage(query.limit, query.cursor, (page) =>
      this.#options.store.listDeliveries(webhookId, {
        ...page,
        ...(query.status === undefined ? {} : { status: query.status }),
      }),
    );
  }

  /** Sends a delivered or failed event again, now, with a fresh 24-hour retry window. */
  async retryDelivery(principal: Principal, webhookId: string, eventId: string): Promise<DeliveryRecord> {
    requirePermission(principal, "webhooks:write");
    const webhook = await this.#findVisible(principal, webhookId);
    const now = this.#options.clock.now();
    const delivery = await this.#options.store.retryDelivery(webhookId, eventId, now, [
      webhookAudit(principal, "webhook.delivery_retried", webhook, { eventId }, now),
    ]);
    if (delivery === null) throw new KeywardError("NOT_FOUND", "This webhook has no delivery of that event.");
    this.#options.onEvents?.();
    return delivery;
  }

  async #findVisible(principal: Principal, id: string): Promise<WebhookRecord> {
    const webhook = await this.#options.store.findWebhook(id);
    if (webhook === null || !canAccessProject(principal, webhook.projectId)) throw notFound();
    return webhook;
  }
}

/** Validates and de-duplicates subscribed event types. */
function checkEvents(events: readonly string[]): string[] {
  if (events.length === 0) throw invalidField("/events", "must name at least one event type, or *");
  events.forEach((type, index) => {
    if (!isSubscribableEventType(type)) {
      throw invalidField(`/events/${index}`, "must be a known event type (see docs/webhooks.md) or *");
    }
  });
  return [...new Set(events)];
}

function notFound(): KeywardError {
  return new KeywardError("NOT_FOUND", "No webhook has this id.");
}

/** A webhook as the audit log shows it: its URL with any secret-looking part redacted, like the access log. */
function auditable(webhook: WebhookRecord): WebhookRecord {
  return { ...webhook, url: redactUrl(webhook.url) };
}

function webhookAudit(
  principal: Principal,
  action: string,
  webhook: WebhookRecord,
  diff: AuditEntryContent["diff"],
  nowMs: number,
): AuditEntryContent {
  return auditEntry(
    principal,
    { action, target: { type: "webhook", id: webhook.id }, projectId: webhook.projectId, diff },
    nowMs,
  );
}
