import { AlertDeduplicator } from "@keyward/core/alert-dedup.js";
import { newId } from "@keyward/core/ids.js";
import type { KeyRecord } from "@keyward/core/key-record.js";
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

/** Something a detector saw during a verification. */
export interface Sighting {
  type: AlertType;
  key: KeyRecord;
  /** The verification outcome the key got (REVOKED, EXPIRED; NOT_FOUND for a canary). */
  code: string;
  /** The address the verify request named, if any. */
  ip?: string;
  atMs: number;
}

/** Options for {@link AnomalyAlerts}. */
export interface AnomalyAlertsOptions {
  store: KeyStore;
  clock: Clock;
  quietMs?: number;
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
    const dedupKey = `${sighting.type}:${sighting.key.id}`;
    if (!this.#dedup.observe(dedupKey, sighting.atMs).raise) return;
    const write = this.#raise(sighting, dedupKey).finally(() => this.#pending.delete(write));
    this.#pending.add(write);
  }

  /** Waits for the alerts being written (on shutdown, and in tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  async #raise(sighting: Sighting, dedupKey: string): Promise<void> {
    const { key, type, atMs } = sighting;
    try {
      const { alert, raised } = await this.#options.store.raiseAlert(
        {
          id: newId("alr", { now: atMs }),
          projectId: key.projectId,
          keyId: key.id,
          type,
          dedupKey,
          details: {
            keyId: key.id,
            code: sighting.code,
            ip: sighting.ip ?? null,
            at: new Date(atMs).toISOString(),
          },
          atMs,
          quietMs: this.#options.quietMs ?? ALERT_QUIET_MS,
        },
        (stored) => [anomalyEvent(stored, this.#options.clock.now())],
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
