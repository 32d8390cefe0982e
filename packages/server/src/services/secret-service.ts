import type { AuditEntryContent } from "@keyward/core/audit-chain.js";
import { newId } from "@keyward/core/ids.js";
import type { KeyRecord } from "@keyward/core/key-record.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { auditEntry, recordDiff } from "../audit/audit-entry.js";
import { openSecret, type SealedSecret, sealSecret } from "../kms/envelope.js";
import type { Kms } from "../kms/kms.js";
import type { RateLimiter } from "../limits/rate-limiter.js";
import type { AuditStore } from "../store/audit-store.js";
import type { KeyStore } from "../store/key-store.js";
import type { SecretRecord, SecretStore } from "../store/secret-store.js";
import type { Clock } from "./clock.js";
import { listPage, type Page } from "./page.js";
import { canAccessProject, type Principal, requirePermission } from "./principal.js";
import type { ProjectService } from "./project-service.js";
import { keyCopyContext, secretValueContext } from "./seal-contexts.js";

/** Limits on what a secret may be. */
export const SECRET_LIMITS = {
  nameLength: 128,
  /** 8 KiB of UTF-8. */
  valueBytes: 8192,
} as const;

/** Reveals allowed per admin token and window, secrets and keys together, unless configured otherwise. */
export const DEFAULT_REVEAL_LIMIT = { limit: 10, windowMs: 60_000 } as const;

/** The fields of a secret an audit entry shows: never the value, which the record does not even hold. */
const SECRET_AUDIT_FIELDS = [
  "projectId",
  "name",
  "createdBy",
] as const satisfies readonly (keyof SecretRecord)[];

/** Options for {@link SecretService}. */
export interface SecretServiceOptions {
  store: SecretStore;
  /** Where keys are looked up for `revealKey` (project scoping). */
  keys: KeyStore;
  projects: ProjectService;
  kms: Kms;
  /** Counts reveals per token. */
  limiter: RateLimiter;
  /** Where failed reveals are recorded (nothing changes, so there is no transaction to join). */
  audit?: AuditStore;
  clock: Clock;
  revealLimit?: { limit: number; windowMs: number };
}

/** What a caller gives to store a secret. */
export interface CreateSecretInput {
  projectId?: string;
  name: string;
  value: string;
}

/** A revealed secret: its metadata and its value, for this one response. */
export interface RevealedSecret {
  record: SecretRecord;
  value: string;
}

/**
 * The secrets vault: upstream credentials (third-party API keys the gateway injects) stored sealed per project,
 * listed as metadata only; reading a value back is its own permission (`secrets:reveal`), audited and rate
 * limited per token. Also reveals the sealed copies of keys of projects with recoverable keys (`keys:reveal`).
 */
export class SecretService {
  readonly #options: SecretServiceOptions;

  constructor(options: SecretServiceOptions) {
    this.#options = options;
  }

  /** Stores a secret; its name must be new in the project. */
  async createSecret(principal: Principal, input: CreateSecretInput): Promise<SecretRecord> {
    requirePermission(principal, "secrets:write");
    checkName(input.name);
    const value = checkValue(input.value);
    const project = await this.#options.projects.resolveProject(principal, input.projectId);
    const now = this.#options.clock.now();
    const record: SecretRecord = {
      id: newId("sec", { now }),
      projectId: project.id,
      name: input.name,
      createdAt: now,
      updatedAt: now,
      createdBy: principal.tokenId,
      lastRevealedAt: null,
    };
    const sealedValue = await this.#seal(value, record.id);
    try {
      await this.#options.store.createSecret({ record, sealedValue }, [
        secretAudit(principal, "secret.created", record, recordDiff(record, SECRET_AUDIT_FIELDS), now),
      ]);
    } catch (error) {
      if (error instanceof KeywardError && error.code === "CONFLICT") {
        throw new KeywardError("CONFLICT", "The project already has a secret of this name.", {
          cause: error,
        });
      }
      throw error;
    }
    return record;
  }

  async getSecret(principal: Principal, id: string): Promise<SecretRecord> {
    requirePermission(principal, "secrets:read");
    return this.#findVisible(principal, id);
  }

  /** Secrets in creation order, of one project or of every project the principal can see; metadata only. */
  async listSecrets(
    principal: Principal,
    query: { projectId?: string; limit?: number; cursor?: string },
  ): Promise<Page<SecretRecord>> {
    requirePermission(principal, "secrets:read");
    let projectIds: readonly string[] | null = principal.projectIds;
    if (query.projectId !== undefined) {
      projectIds = canAccessProject(principal, query.projectId) ? [query.projectId] : [];
    }
    return listPage(query.limit, query.cursor, (page) =>
      this.#options.store.listSecrets({ projectIds, ...page }),
    );
  }

  /** Replaces a secret's value (sealed afresh, under a new data key). */
  async updateSecret(principal: Principal, id: string, input: { value: string }): Promise<SecretRecord> {
    requirePermission(principal, "secrets:write");
    const value = checkValue(input.value);
    await this.#findVisible(principal, id);
    const sealedValue = await this.#seal(value, id);
    const now = this.#options.clock.now();
    const updated = await this.#options.store.updateSecretValue(id, sealedValue, now, (secret) => [
      // The diff says that the value changed, never what it was or became.
      secretAudit(
        principal,
        "secret.updated",
        secret,
        { value: { from: "[redacted]", to: "[redacted]" } },
        now,
      ),
    ]);
    if (updated === null) throw notFound();
    return updated;
  }

  async deleteSecret(principal: Principal, id: string): Promise<void> {
    requirePermission(principal, "secrets:write");
    const existing = await this.#findVisible(principal, id);
    const now = this.#options.clock.now();
    const deleted = await this.#options.store.deleteSecret(id, [
      secretAudit(principal, "secret.deleted", existing, recordDiff(existing, SECRET_AUDIT_FIELDS), now),
    ]);
    if (!deleted) throw notFound();
  }

  /**
   * A secret's value. Counted against the token's reveal limit first (429 TOO_MANY_REVEALS past it); the value is
   * returned only once `secret.revealed` is in the audit log, written with `lastRevealedAt` in one transaction.
   */
  async revealSecret(principal: Principal, id: string): Promise<RevealedSecret> {
    requirePermission(principal, "secrets:reveal");
    await this.#findVisible(principal, id);
    await this.#chargeReveal(principal);
    const sealed = await this.#options.store.readSealedSecret(id);
    if (sealed === null) throw notFound();
    const value = await this.#open(principal, sealed.sealedValue, secretValueContext(id), {
      action: "secret.revealed",
      target: { type: "secret", id },
      projectId: sealed.record.projectId,
    });
    const now = this.#options.clock.now();
    const record = await this.#options.store.markSecretRevealed(id, now, (secret) => [
      secretAudit(principal, "secret.revealed", secret, { name: secret.name }, now),
    ]);
    if (record === null) throw notFound();
    return { record, value: value.toString("utf8") };
  }

  /**
   * The plaintext of a key whose project kept a copy when it was issued (`recoverableKeys`): NOT_FOUND when there
   * is none. Rate limited and audited (`key.revealed`) like a secret's reveal.
   */
  async revealKey(principal: Principal, keyId: string): Promise<{ id: string; key: string }> {
    requirePermission(principal, "keys:reveal");
    const key = await this.#options.keys.findKey(keyId);
    if (key === null || !canAccessProject(principal, key.projectId)) {
      throw new KeywardError("NOT_FOUND", "No key has this id.");
    }
    await this.#chargeReveal(principal);
    const sealed = await this.#options.store.readKeyCopy(keyId);
    if (sealed === null) throw noKeyCopy();
    const plaintext = await this.#openKeyCopy(principal, key, sealed);
    if (plaintext === null) throw noKeyCopy();
    return { id: keyId, key: plaintext };
  }

  /**
   * The plaintext of a key the caller already holds (Unkey's `decrypt: true`), or null when Keyward kept no copy
   * of it: then nothing is counted or audited. A kept copy is revealed as by {@link revealKey}: `keys:reveal`,
   * counted against the token's reveal limit (429 TOO_MANY_REVEALS), audited (`key.revealed`) before it is returned.
   */
  async revealKeyIfKept(
    principal: Principal,
    key: Pick<KeyRecord, "id" | "projectId" | "start">,
  ): Promise<string | null> {
    requirePermission(principal, "keys:reveal");
    if (!canAccessProject(principal, key.projectId)) {
      throw new KeywardError("NOT_FOUND", "No key has this id.");
    }
    // Only keys with a copy count: a page of keys without one is not a page of reveals.
    const sealed = await this.#options.store.readKeyCopy(key.id);
    if (sealed === null) return null;
    await this.#chargeReveal(principal);
    return this.#openKeyCopy(principal, key, sealed);
  }

  /** Opens a key's sealed copy and records `key.revealed` with it; null when the copy went meanwhile. */
  async #openKeyCopy(
    principal: Principal,
    key: Pick<KeyRecord, "id" | "projectId" | "start">,
    sealed: string,
  ): Promise<string | null> {
    const facts = { action: "key.revealed", target: { type: "key", id: key.id }, projectId: key.projectId };
    const plaintext = await this.#open(principal, sealed, keyCopyContext(key.id), facts);
    const now = this.#options.clock.now();
    const marked = await this.#options.store.markKeyCopyRevealed(key.id, now, [
      auditEntry(principal, { ...facts, diff: { start: key.start } }, now),
    ]);
    try {
      return marked ? plaintext.toString("utf8") : null;
    } finally {
      plaintext.fill(0);
    }
  }

  async #seal(value: Buffer, secretId: string): Promise<string> {
    try {
      return JSON.stringify(await sealSecret(this.#options.kms, value, secretValueContext(secretId)));
    } finally {
      value.fill(0);
    }
  }

  /**
   * Opens a sealed value. A value that does not open (altered, moved from another row, sealed under another
   * master key) is recorded as a failed reveal and reported as DECRYPTION_FAILED, never as the wrong secret.
   */
  async #open(
    principal: Principal,
    sealed: string,
    context: string,
    facts: { action: string; target: { type: string; id: string }; projectId: string },
  ): Promise<Buffer> {
    try {
      return await openSecret(this.#options.kms, JSON.parse(sealed) as SealedSecret, context);
    } catch (error) {
      const now = this.#options.clock.now();
      // The failed reveal is recorded where possible; the DECRYPTION_FAILED below stands either way.
      await this.#options.audit
        ?.appendAuditEntries([
          auditEntry(principal, { ...facts, outcome: "failure", diff: { error: "DECRYPTION_FAILED" } }, now),
        ])
        .catch(() => undefined);
      throw new KeywardError(
        "DECRYPTION_FAILED",
        "The stored value could not be decrypted: it was altered, moved from another record, or sealed under " +
          "another master key.",
        { cause: error },
      );
    }
  }

  /** Counts one reveal for the principal's token; TOO_MANY_REVEALS (with Retry-After) past the limit. */
  async #chargeReveal(principal: Principal): Promise<void> {
    const { limit, windowMs } = this.#options.revealLimit ?? DEFAULT_REVEAL_LIMIT;
    const nowMs = this.#options.clock.now();
    // A limiter outage refuses the reveal (RATE_LIMITER_UNAVAILABLE): an uncounted reveal is an unlimited one.
    const { limits } = await this.#options.limiter.charge({
      limits: [{ key: `reveal:${principal.tokenId}`, limit, windowMs, cost: 1 }],
      nowMs,
    });
    const result = limits[0];
    if (result !== undefined && !result.allowed) {
      throw new KeywardError(
        "TOO_MANY_REVEALS",
        `This token may reveal ${limit} secrets or keys per ${windowMs / 1000} seconds; wait before revealing more.`,
        { retryAfterMs: Math.max(result.resetAt - nowMs, 1_000) },
      );
    }
  }

  async #findVisible(principal: Principal, id: string): Promise<SecretRecord> {
    const secret = await this.#options.store.findSecret(id);
    if (secret === null || !canAccessProject(principal, secret.projectId)) throw notFound();
    return secret;
  }
}

/** Names are printable identifiers (letters, digits, `_`, `-`, `.`), checked by hand: no regex on input. */
function checkName(name: string): void {
  if (name.length === 0 || name.length > SECRET_LIMITS.nameLength) {
    throw invalidField("/name", `must be 1 to ${SECRET_LIMITS.nameLength} characters`);
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) || // 0-9
      (c >= 65 && c <= 90) || // A-Z
      (c >= 97 && c <= 122) || // a-z
      c === 95 || // _
      (i > 0 && (c === 45 || c === 46)); // - and . after the first character
    if (!ok) {
      throw invalidField("/name", "must be letters, digits, _ and (after the first character) - or .");
    }
  }
}

/** The value as UTF-8 bytes, 1 byte to 8 KiB; the message never echoes it. */
function checkValue(value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length === 0 || bytes.length > SECRET_LIMITS.valueBytes) {
    bytes.fill(0);
    throw invalidField("/value", `must be 1 to ${SECRET_LIMITS.valueBytes} bytes of UTF-8`);
  }
  return bytes;
}

function notFound(): KeywardError {
  return new KeywardError("NOT_FOUND", "No secret has this id.");
}

function noKeyCopy(): KeywardError {
  return new KeywardError(
    "NOT_FOUND",
    "Keyward kept no copy of this key: its project did not have recoverableKeys on when the key was issued.",
  );
}

function secretAudit(
  principal: Principal,
  action: string,
  secret: SecretRecord,
  diff: AuditEntryContent["diff"],
  nowMs: number,
): AuditEntryContent {
  return auditEntry(
    principal,
    { action, target: { type: "secret", id: secret.id }, projectId: secret.projectId, diff },
    nowMs,
  );
}
