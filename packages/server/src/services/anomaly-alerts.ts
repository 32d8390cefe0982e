import { AlertDeduplicator } from "@keyward/core/alert-dedup.js";
import type { AuditEntryContent } from "@keyward/core/audit-chain.js";
import { newId } from "@keyward/core/ids.js";
import type { KeyRecord } from "@keyward/core/key-record.js";
import { auditEntry, systemActor, toCanonical } from "../audit/audit-entry.js";
import { newEvent } from "../events/new-event.js";
import type { AlertMetrics, AlertType } from "../monitor/metrics.js";
import type { AlertRecord } from "../store/alert-records.js";
import type { KeyStore } from "../store/key-store.js";
import type { NewEvent } from "../store/records.js";
import type { Clock } from "./clock.js";

/**
 * How long a storm must be quiet before its next occurrence raises a new alert: 10 minutes. One leaked key
 * hammered for an hour is one alert, not thousands.
 */
export const ALERT_QUIET_MS = 600_000;

/** Something a detector saw about one key during a verification. */
export interface KeySighting {
  type: AlertType;
  key: Pick<KeyRecord, "id" | "projectId">;
  /** The verification outcome the key got (REVOKED, EXPIRED; NOT_FOUND for a canary; VALID, ... for a spike). */
  code: string;
  /** The address the verify request named, if any. */
  ip?: string;
  /** What the detector measured (a spike's counts, the new network), added to the alert's details. */
  details?: Record<string, unknown>;
  atMs: number;
}

/** Something a detector saw about a source rather than a key (brute force). */
export interface SourceSighting {
  type: AlertType;
  key: null;
  /** The project the alert belongs to; null for the instance's default project. */
  projectId: string | null;
  /** Who it was (`ip:203.0.113.7`, `project:proj_…`): one source's storm is one alert. */
  source: string;
  details: Record<string, unknown>;
  atMs: number;
}

/** Something a detector saw. */
export type Sighting = KeySighting | SourceSighting;

/** Options for {@link AnomalyAlerts}. */
export interface AnomalyAlertsOptions {
  store: KeyStore;
  clock: Clock;
  quietMs?: number;
  /** The project of alerts about a source whose project is unknown (brute force by a token of many projects). */
  defaultProjectId?(): Promise<string | null>;
  /** Counts raised alerts by type (`keyward_alerts_total`). */
  metrics?: AlertMetrics;
  /** A new alert was stored (its `anomaly.detected` event with it): for the log. */
  onAlert?(alert: AlertRecord): void;
  /** Storing an alert failed; the sighting is lost. */
  onAlertError?(error: unknown): void;
  /** A new alert wrote its event, so the webhook worker can deliver it without waiting for its poll. */
  onEvents?(): void;
}

/**
 * Turns sightings into alerts off the verification's hot path: a synchronous in-memory deduplication check, then
 * a store write nobody waits for. The store deduplicates again in its transaction, so several nodes seeing the
 * same storm still make one alert; `occurrences` counts the storms' starts the nodes reported.
 */
export class AnomalyAlerts {
  readonly #options: AnomalyAlertsOptions;
  readonly #dedup: AlertDeduplicator;
  readonly #pending = new Set<Promise<void>>();

  constructor(options: AnomalyAlertsOptions) {
    this.#options = options;
    this.#dedup = new AlertDeduplicator({ quietMs: options.quietMs ?? ALERT_QUIET_MS });
  }

  /** Reports a sighting; returns at once, never throws. */
  report(sighting: Sighting): void {
    const dedupKey = `${sighting.type}:${sighting.key === null ? sighting.source : sighting.key.id}`;
    if (!this.#dedup.observe(dedupKey, sighting.atMs).raise) return;
    const write = this.#raise(sighting, dedupKey).finally(() => this.#pending.delete(write));
    this.#pending.add(write);
  }

  /** Waits for the alerts being written (on shutdown, and in tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  async #raise(sighting: Sighting, dedupKey: string): Promise<void> {
    const { type, atMs } = sighting;
    try {
      const projectId =
        sighting.key !== null
          ? sighting.key.projectId
          : (sighting.projectId ?? (await this.#options.defaultProjectId?.()) ?? null);
      // Only a store without a default project (never bootstrapped) has nowhere to put the alert.
      if (projectId === null) return;
      const { alert, raised } = await this.#options.store.raiseAlert(
        {
          id: newId("alr", { now: atMs }),
          projectId,
          keyId: sighting.key?.id ?? null,
          type,
          dedupKey,
          details: alertDetails(sighting),
          atMs,
          quietMs: this.#options.quietMs ?? ALERT_QUIET_MS,
        },
        (stored) => [anomalyEvent(stored, this.#options.clock.now()), alertAuditEntry(stored)],
      );
      if (!raised) return;
      this.#options.metrics?.alert(alert.type as AlertType);
      this.#options.onAlert?.(alert);
      this.#options.onEvents?.();
    } catch (error) {
      this.#options.onAlertError?.(error);
    }
  }
}

/** What an alert shows of its first sighting: key id, outcome code, address and time first, then the measures. */
function alertDetails(sighting: Sighting): Record<string, unknown> {
  const at = new Date(sighting.atMs).toISOString();
  if (sighting.key === null) return { ...sighting.details, at };
  return {
    keyId: sighting.key.id,
    code: sighting.code,
    ip: sighting.ip ?? null,
    at,
    ...sighting.details,
  };
}

/** The `anomaly.detected` event of a new alert: the alert as the API shows it. Never key material. */
export function anomalyEvent(alert: AlertRecord, nowMs: number): NewEvent {
  return newEvent({
    type: "anomaly.detected",
    projectId: alert.projectId,
    keyId: alert.keyId,
    data: { alert: presentAlertData(alert) },
    nowMs,
  });
}

/** An alert as JSON (the API and the event share it). */
export function presentAlertData(alert: AlertRecord) {
  return {
    id: alert.id,
    projectId: alert.projectId,
    keyId: alert.keyId,
    type: alert.type,
    firstSeenAt: new Date(alert.firstSeenAt).toISOString(),
    lastSeenAt: new Date(alert.lastSeenAt).toISOString(),
    occurrences: alert.occurrences,
    details: alert.details,
    acknowledgedAt: alert.acknowledgedAt === null ? null : new Date(alert.acknowledgedAt).toISOString(),
    acknowledgedBy: alert.acknowledgedBy,
  };
}

/** The audit entry of a new alert: raised by the detectors, about the key (or source) it names. */
export function alertAuditEntry(alert: AlertRecord): AuditEntryContent {
  return auditEntry(
    systemActor("anomaly detection"),
    {
      action: "alert.raised",
      target: { type: "alert", id: alert.id },
      projectId: alert.projectId,
      diff: { type: alert.type, keyId: alert.keyId, details: toCanonical(alert.details) },
    },
    alert.firstSeenAt,
  );
}
