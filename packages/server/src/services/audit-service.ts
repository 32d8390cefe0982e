import type { AuditCheckpoint, AuditEntry } from "@keyward/core/audit-chain.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { auditEntry } from "../audit/audit-entry.js";
import type { AuditLog, AuditVerification } from "../audit/audit-log.js";
import type { AuditPublicKey } from "../audit/audit-signer.js";
import type { AuditFilters, StoredAuditCheckpoint } from "../store/audit-store.js";
import type { Clock } from "./clock.js";
import { decodeCursor, type Page } from "./page.js";
import { canAccessProject, type Principal, requirePermission } from "./principal.js";

/** Largest page of audit entries (exports walk the log in pages this size). */
export const MAX_AUDIT_PAGE = 1_000;
const DEFAULT_AUDIT_PAGE = 100;

/** Filters and paging of {@link AuditService.listEntries}. */
export interface AuditListQuery extends Omit<AuditFilters, "projectIds"> {
  projectId?: string;
  /** `newest` (default) pages back in time; `oldest` pages forward, as exports do. */
  order?: "newest" | "oldest";
  limit?: number;
  cursor?: string;
  /** Also count every entry matching the filters (for an export's progress bar). */
  count?: boolean;
}

/** The checkpoints and the keys that verify them, as `keyward audit checkpoints` exports them. */
export interface AuditCheckpointExport {
  publicKeys: AuditPublicKey[];
  checkpoints: StoredAuditCheckpoint[];
}

/** Reads, verifies and checkpoints the audit log. The only way routes and commands reach it. */
export class AuditService {
  readonly #log: AuditLog;
  readonly #clock: Clock;
  readonly #onRecordError: ((error: unknown) => void) | undefined;

  constructor(options: { log: AuditLog; clock: Clock; onRecordError?(error: unknown): void }) {
    this.#log = options.log;
    this.#clock = options.clock;
    this.#onRecordError = options.onRecordError;
  }

  /** Entries matching the filters, newest first (or oldest first), of the projects the principal may see. */
  async listEntries(
    principal: Principal,
    query: AuditListQuery,
  ): Promise<Page<AuditEntry> & { total?: number }> {
    requirePermission(principal, "audit:read");
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_AUDIT_PAGE, 1), MAX_AUDIT_PAGE);
    let projectIds: readonly string[] | null = principal.projectIds;
    if (query.projectId !== undefined) {
      projectIds = canAccessProject(principal, query.projectId) ? [query.projectId] : [];
    }
    const filters: AuditFilters = {
      ...(query.actorId === undefined ? {} : { actorId: query.actorId }),
      ...(query.action === undefined ? {} : { action: query.action }),
      ...(query.targetId === undefined ? {} : { targetId: query.targetId }),
      ...(query.fromMs === undefined ? {} : { fromMs: query.fromMs }),
      ...(query.toMs === undefined ? {} : { toMs: query.toMs }),
      projectIds,
    };
    const order = query.order ?? "newest";
    const cursor = decodeSeqCursor(query.cursor);
    if (projectIds !== null && projectIds.length === 0) {
      return { items: [], nextCursor: null, ...(query.count === true ? { total: 0 } : {}) };
    }
    const store = this.#log.store;
    const items = await store.listAuditEntries({
      ...filters,
      order,
      ...(cursor === undefined ? {} : order === "newest" ? { beforeSeq: cursor } : { afterSeq: cursor }),
      limit: limit + 1,
    });
    const page = items.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page,
      nextCursor: items.length > limit && last !== undefined ? encodeSeqCursor(last.seq) : null,
      ...(query.count === true ? { total: await store.countAuditEntries(filters) } : {}),
    };
  }

  /**
   * Verifies the whole chain and every checkpoint (plus `extra` checkpoints kept elsewhere, with their keys).
   * Only a token that sees every project may: the verdict speaks for the whole log.
   */
  async verify(
    principal: Principal,
    extra: { checkpoints?: readonly AuditCheckpoint[]; publicKeys?: readonly AuditPublicKey[] } = {},
  ): Promise<AuditVerification> {
    requirePermission(principal, "audit:read");
    refuseProjectLimited(principal);
    return this.#log.verify({
      ...(extra.checkpoints === undefined ? {} : { extra: extra.checkpoints }),
      ...(extra.publicKeys === undefined ? {} : { extraKeys: extra.publicKeys }),
    });
  }

  /** Every checkpoint with the public keys that verify them, to keep a copy elsewhere. */
  async exportCheckpoints(principal: Principal): Promise<AuditCheckpointExport> {
    requirePermission(principal, "audit:read");
    refuseProjectLimited(principal);
    return {
      publicKeys: await this.#log.publicKeys(),
      checkpoints: await this.#log.store.listAuditCheckpoints(),
    };
  }

  /**
   * Records a refused request (403) as a failed admin action. Never throws: a log that cannot be written must not
   * turn a refusal into a server error (the failure goes to `onRecordError`).
   */
  async recordRefusal(
    principal: Principal,
    request: { method: string; route: string; permission: string | null; detail: string | null },
  ): Promise<void> {
    try {
      const now = this.#clock.now();
      await this.#log.record([
        auditEntry(
          principal,
          {
            action: "request.refused",
            target: { type: "route", id: `${request.method} ${request.route}`.slice(0, 300) },
            projectId: principal.projectIds?.length === 1 ? (principal.projectIds[0] ?? null) : null,
            outcome: "failure",
            diff: { code: "FORBIDDEN", permission: request.permission, detail: request.detail },
          },
          now,
        ),
      ]);
    } catch (error) {
      this.#onRecordError?.(error);
    }
  }

  /** Signs a checkpoint of the log as it ends now (CONFLICT while the log is empty). */
  async checkpoint(principal: Principal): Promise<StoredAuditCheckpoint> {
    requirePermission(principal, "audit:write");
    refuseProjectLimited(principal);
    const checkpoint = await this.#log.checkpoint(this.#clock.now());
    if (checkpoint !== null) return checkpoint;
    // Either the log is empty, or a checkpoint at the head exists already: return that one.
    const head = await this.#log.store.auditHead();
    const existing = (await this.#log.store.listAuditCheckpoints()).find((c) => c.seq === head.seq);
    if (existing !== undefined) return existing;
    throw new KeywardError("CONFLICT", "The audit log has no entry to checkpoint yet.");
  }
}

function refuseProjectLimited(principal: Principal): void {
  if (principal.projectIds !== null) {
    throw new KeywardError(
      "FORBIDDEN",
      "Only a token that sees every project can verify the whole audit log.",
    );
  }
}

function encodeSeqCursor(seq: number): string {
  return Buffer.from(String(seq), "utf8").toString("base64url");
}

function decodeSeqCursor(cursor: string | undefined): number | undefined {
  const text = decodeCursor(cursor, 20);
  if (text === undefined) return undefined;
  const seq = Number(text);
  if (!/^[0-9]{1,16}$/.test(text) || !Number.isSafeInteger(seq)) {
    throw invalidField("/cursor", "must be a nextCursor value from a previous page");
  }
  return seq;
}
