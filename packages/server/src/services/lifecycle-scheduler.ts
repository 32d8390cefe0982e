import { setImmediate as nextTurn } from "node:timers/promises";
import {
  expiryNoticeHorizon,
  inactivityCutoff,
  type KeyPolicies,
  rotationDueCutoff,
} from "@keyward/core/key-policies.js";
import type { KeyRecord } from "@keyward/core/key-record.js";
import { auditEntry, systemActor } from "../audit/audit-entry.js";
import type { AuditLog } from "../audit/audit-log.js";
import { keyEvent } from "../events/key-events.js";
import type { KeyLifecycleStore } from "../store/key-lifecycle-store.js";
import type { KeyStore } from "../store/key-store.js";
import type { ProjectRecord } from "../store/records.js";
import type { WebhookStore } from "../store/webhook-store.js";
import type { Clock } from "./clock.js";

/** Options for {@link LifecycleScheduler}. */
export interface LifecycleSchedulerOptions {
  keys: KeyStore;
  /** Signs the audit log's periodic checkpoints and prunes it past retention, on every run. */
  audit?: Pick<AuditLog, "maintain">;
  lifecycle: KeyLifecycleStore;
  webhooks: WebhookStore;
  clock: Clock;
  /** A project's parsed policies. */
  policiesFor(project: ProjectRecord): KeyPolicies;
  intervalMs: number;
  /** Events (and finished deliveries) older than this are deleted. */
  eventRetentionMs: number;
  /** Keys that expired longer ago than this when first seen get no `key.expired` event (e.g. after an upgrade). */
  expiredLookbackMs: number;
  /** Keys handled per store call. */
  batchSize?: number;
  /** The scheduler revoked a key: drop it from verification caches. */
  onRevoked?(key: KeyRecord): void;
  /** A run wrote events, so the webhook worker can send them now. */
  onEvents?(): void;
  /** A run finished; for the log. */
  onRun?(report: LifecycleReport): void;
  onError?(error: unknown): void;
}

/** What one run did. */
export interface LifecycleReport {
  expiring: number;
  expired: number;
  rotationDue: number;
  inactiveRevoked: number;
  prunedEvents: number;
  auditCheckpoints: number;
  prunedAuditEntries: number;
}

/** Projects read per page while walking all of them. */
const PROJECT_PAGE = 100;

/**
 * Applies the projects' key policies in the background: expiry notices, expired notices (which also end
 * rotation grace windows), rotation-due notices and revocation of inactive keys, then prunes old events. Safe
 * with several processes on one store: every notice and revocation is claimed in the store, so each fires once
 * no matter how many schedulers find it.
 */
export class LifecycleScheduler {
  readonly #options: LifecycleSchedulerOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<LifecycleReport | null> | null = null;
  #stopped = true;

  constructor(options: LifecycleSchedulerOptions) {
    this.#options = options;
  }

  /** Runs now and then every interval; runs never overlap. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops scheduling and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One full pass over every project at the clock's current time. */
  async runOnce(): Promise<LifecycleReport> {
    const now = this.#options.clock.now();
    const report: LifecycleReport = {
      expiring: 0,
      expired: 0,
      rotationDue: 0,
      inactiveRevoked: 0,
      prunedEvents: 0,
      auditCheckpoints: 0,
      prunedAuditEntries: 0,
    };
    let after: string | undefined;
    for (;;) {
      const projects = await this.#options.keys.listProjects({
        limit: PROJECT_PAGE,
        ...(after === undefined ? {} : { after }),
      });
      for (const project of projects) {
        const policies = this.#options.policiesFor(project);
        report.expiring += await this.#notifyExpiring(project.id, policies, now);
        report.rotationDue += await this.#notifyRotationDue(project.id, policies, now);
        report.inactiveRevoked += await this.#revokeInactive(project.id, policies, now);
      }
      const last = projects.at(-1);
      if (last === undefined || projects.length < PROJECT_PAGE) break;
      after = last.id;
    }
    report.expired += await this.#notifyExpired(now);
    report.prunedEvents = await this.#options.webhooks.pruneEvents(now - this.#options.eventRetentionMs);
    if (this.#options.audit !== undefined) {
      const audit = await this.#options.audit.maintain(now);
      report.auditCheckpoints = audit.checkpoints;
      report.prunedAuditEntries = audit.prunedEntries;
    }
    if (report.expiring + report.expired + report.rotationDue + report.inactiveRevoked > 0) {
      this.#options.onEvents?.();
    }
    return report;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.runOnce()
        .then((report) => {
          this.#options.onRun?.(report);
          return report;
        })
        .catch((error: unknown) => {
          this.#options.onError?.(error);
          return null;
        })
        .finally(() => {
          this.#running = null;
          if (!this.#stopped) this.#schedule(this.#options.intervalMs);
        });
    }, delayMs);
    this.#timer.unref();
  }

  async #notifyExpiring(projectId: string, policies: KeyPolicies, now: number): Promise<number> {
    const untilMs = expiryNoticeHorizon(policies, now);
    return this.#drain(
      (limit) =>
        this.#options.lifecycle.findKeysToNotifyExpiring({ projectId, afterMs: now, untilMs, limit }),
      (key) =>
        this.#options.lifecycle.recordKeyNotice(
          { keyId: key.id, kind: "key.expiring", subjectAt: key.expiresAt ?? 0, sentAt: now },
          [keyEvent("key.expiring", key, now)],
        ),
    );
  }

  async #notifyExpired(now: number): Promise<number> {
    const sinceMs = now - this.#options.expiredLookbackMs;
    return this.#drain(
      (limit) => this.#options.lifecycle.findKeysToNotifyExpired({ sinceMs, nowMs: now, limit }),
      (key) =>
        this.#options.lifecycle.recordKeyNotice(
          { keyId: key.id, kind: "key.expired", subjectAt: key.expiresAt ?? 0, sentAt: now },
          [keyEvent("key.expired", key, now)],
        ),
    );
  }

  async #notifyRotationDue(projectId: string, policies: KeyPolicies, now: number): Promise<number> {
    const cutoff = rotationDueCutoff(policies, now);
    if (cutoff === null) return 0;
    return this.#drain(
      (limit) =>
        this.#options.lifecycle.findKeysToNotifyRotationDue({
          projectId,
          createdAtOrBeforeMs: cutoff,
          nowMs: now,
          limit,
        }),
      (key) =>
        this.#options.lifecycle.recordKeyNotice(
          { keyId: key.id, kind: "key.rotation_due", subjectAt: 0, sentAt: now },
          [keyEvent("key.rotation_due", key, now)],
        ),
    );
  }

  async #revokeInactive(projectId: string, policies: KeyPolicies, now: number): Promise<number> {
    const cutoff = inactivityCutoff(policies, now);
    if (cutoff === null) return 0;
    return this.#drain(
      (limit) =>
        this.#options.lifecycle.findInactiveKeys({ projectId, unusedSinceMs: cutoff, nowMs: now, limit }),
      async (key) => {
        const revoked = await this.#options.lifecycle.revokeInactiveKey(
          key.id,
          { unusedSinceMs: cutoff, reason: "inactive", nowMs: now },
          (record) => [
            keyEvent("key.inactive_revoked", record, now),
            auditEntry(
              systemActor("scheduler"),
              {
                action: "key.revoked",
                target: { type: "key", id: record.id },
                projectId: record.projectId,
                diff: { revokedReason: record.revokedReason, unusedSince: cutoff },
              },
              now,
            ),
          ],
        );
        if (revoked === null) return false;
        this.#options.onRevoked?.(revoked);
        return true;
      },
    );
  }

  /**
   * Finds and handles keys batch by batch until a batch comes back short. Each handled key leaves the query's
   * results (its notice is recorded or it is revoked), whichever process handled it, so the loop ends.
   */
  async #drain(
    find: (limit: number) => Promise<KeyRecord[]>,
    handle: (key: KeyRecord) => Promise<boolean>,
  ): Promise<number> {
    const limit = this.#options.batchSize ?? 100;
    let handled = 0;
    for (;;) {
      const batch = await find(limit);
      for (const key of batch) if (await handle(key)) handled += 1;
      if (batch.length < limit) return handled;
      // A turn of the event loop between batches: the SQLite driver is synchronous.
      await nextTurn();
    }
  }
}
