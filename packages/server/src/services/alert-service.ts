import { KeywardError } from "@keyward/core/keyward-error.js";
import { auditEntry } from "../audit/audit-entry.js";
import type { AlertRecord } from "../store/alert-records.js";
import type { KeyStore } from "../store/key-store.js";
import type { Clock } from "./clock.js";
import { listPage, type Page } from "./page.js";
import { canAccessProject, type Principal, requirePermission } from "./principal.js";

/** Filters and paging of {@link AlertService.listAlerts}. */
export interface AlertListQuery {
  projectId?: string;
  acknowledged?: boolean;
  type?: string;
  limit?: number;
  cursor?: string;
}

/** Lists and acknowledges the alerts the detectors raised. The only way routes and commands reach alerts. */
export class AlertService {
  readonly #store: KeyStore;
  readonly #clock: Clock;

  constructor(options: { store: KeyStore; clock: Clock }) {
    this.#store = options.store;
    this.#clock = options.clock;
  }

  /** Alerts of the projects the principal may see, oldest first. */
  async listAlerts(principal: Principal, query: AlertListQuery): Promise<Page<AlertRecord>> {
    requirePermission(principal, "alerts:read");
    let projectIds: readonly string[] | null = principal.projectIds;
    if (query.projectId !== undefined) {
      projectIds = canAccessProject(principal, query.projectId) ? [query.projectId] : [];
    }
    return listPage(query.limit, query.cursor, (page) =>
      this.#store.listAlerts({
        projectIds,
        ...(query.acknowledged === undefined ? {} : { acknowledged: query.acknowledged }),
        ...(query.type === undefined ? {} : { type: query.type }),
        ...page,
      }),
    );
  }

  /**
   * Acknowledges an alert (once: acknowledging again returns the first acknowledgement); the storm's next
   * occurrence raises a new alert. NOT_FOUND for an alert the principal cannot see.
   */
  async acknowledgeAlert(principal: Principal, id: string): Promise<AlertRecord> {
    requirePermission(principal, "alerts:write");
    const existing = await this.#store.findAlert(id);
    if (existing === null || !canAccessProject(principal, existing.projectId)) throw notFound();
    const now = this.#clock.now();
    const acknowledged = await this.#store.acknowledgeAlert(id, principal.tokenId, now, (alert) => [
      auditEntry(
        principal,
        {
          action: "alert.acknowledged",
          target: { type: "alert", id: alert.id },
          projectId: alert.projectId,
          diff: { type: alert.type, keyId: alert.keyId },
        },
        now,
      ),
    ]);
    if (acknowledged === null) throw notFound();
    return acknowledged;
  }
}

function notFound(): KeywardError {
  return new KeywardError("NOT_FOUND", "No alert has this id.");
}
