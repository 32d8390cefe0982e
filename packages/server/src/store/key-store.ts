import type { KeyRecord } from "@keyward/core/key-record.js";
import type {
  BootstrapSeed,
  KeyPatch,
  KeyQuery,
  NewKey,
  NewToken,
  PageQuery,
  ProjectRecord,
  TokenRecord,
  UsageEntry,
  WithDigest,
} from "./records.js";

/** Name of the instance setting that holds the sealed server pepper. */
export const PEPPER_SETTING = "pepper";
/** Name of the instance setting that holds the default project id. */
export const DEFAULT_PROJECT_SETTING = "default_project_id";

/**
 * Where keys, tokens and projects live. Speaks in domain verbs; every implementation passes the one conformance
 * suite (`key-store.conformance.ts`). Driver errors are translated here: unique violations become CONFLICT,
 * lost connections STORE_UNAVAILABLE (retryable).
 */
export interface KeyStore {
  /** Applies pending schema migrations; safe to call on every start. */
  migrate(): Promise<void>;
  /** Throws STORE_UNAVAILABLE when the store cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Writes pepper, default project and root token in one transaction; false (and no change) if already initialized. */
  bootstrap(seed: BootstrapSeed): Promise<boolean>;
  readInstanceSetting(name: string): Promise<string | null>;

  createProject(project: ProjectRecord): Promise<void>;
  findProject(id: string): Promise<ProjectRecord | null>;
  listProjects(query: PageQuery): Promise<ProjectRecord[]>;

  createKey(key: NewKey): Promise<void>;
  findKey(id: string): Promise<KeyRecord | null>;
  /** Looks a key up by the HMAC digest of its plaintext (an indexed lookup). */
  findKeyByDigest(digest: Buffer): Promise<WithDigest<KeyRecord> | null>;
  /** Keys in id order (creation order), at most `limit`. */
  listKeys(query: KeyQuery): Promise<KeyRecord[]>;
  /** Applies the patch and returns the new record, or null when no key has that id. */
  updateKey(id: string, patch: KeyPatch, nowMs: number): Promise<KeyRecord | null>;
  /** Revokes once: a key already revoked keeps its first revocation. Null when no key has that id. */
  revokeKey(id: string, reason: string | null, nowMs: number): Promise<KeyRecord | null>;
  /** Adds batched usage: `lastUsedAt` only moves forward, counts add up. Unknown ids are ignored. */
  recordKeyUsage(entries: readonly UsageEntry[]): Promise<void>;

  createToken(token: NewToken): Promise<void>;
  findToken(id: string): Promise<TokenRecord | null>;
  findTokenByDigest(digest: Buffer): Promise<WithDigest<TokenRecord> | null>;
  listTokens(query: PageQuery): Promise<TokenRecord[]>;
  revokeToken(id: string, nowMs: number): Promise<TokenRecord | null>;
  recordTokenUsage(entries: readonly UsageEntry[]): Promise<void>;
}
