import type { FieldError } from "@keyward/core/keyward-error.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { KeywardApiError } from "./keyward-api-error.js";
import type {
  Alert,
  AuditCheckpoint,
  AuditCheckpointExport,
  AuditPage,
  AuditVerification,
  CreatedKey,
  CreatedToken,
  CreatedWebhook,
  CreateIdentityInput,
  CreateKeyInput,
  CreatePermissionInput,
  CreateProjectInput,
  CreateRoleInput,
  CreateSecretInput,
  CreateTokenInput,
  CreateWebhookInput,
  Delivery,
  HealthStatus,
  Identity,
  ImportKeysInput,
  ImportKeysResult,
  Key,
  KeyUsage,
  ListAlertsOptions,
  ListAuditEntriesOptions,
  ListDeliveriesOptions,
  ListKeysOptions,
  ListSecretsOptions,
  ListWebhooksOptions,
  Page,
  PageOptions,
  Permission,
  Project,
  QuotaAdjustment,
  RateLimitOverride,
  RatelimitInput,
  RatelimitResult,
  RevealedKey,
  RevealedSecret,
  RevokeKeyInput,
  RevokeKeysInput,
  RevokeKeysResult,
  Role,
  RotatedKey,
  RotateKeyInput,
  SearchPageOptions,
  Secret,
  SetRateLimitOverrideInput,
  Token,
  UpdateIdentityInput,
  UpdateKeyInput,
  UpdateProjectInput,
  UpdateWebhookInput,
  Usage,
  UsageOptions,
  UsageRangeOptions,
  VerifyAuditLogOptions,
  VerifyKeyInput,
  VerifyKeyResult,
  Webhook,
} from "./types.js";

/** Options for a {@link KeywardClient}. */
export interface KeywardClientOptions {
  /** Where Keyward listens, e.g. `https://keyward.internal` (a path prefix is kept). */
  baseUrl: string;
  /** An admin token; sent only in the Authorization header. */
  token: string;
  /** The fetch to use; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** How long one request may take, body included; defaults to 10 seconds. */
  timeoutMs?: number;
}

/** Default of {@link KeywardClientOptions.timeoutMs}. */
export const DEFAULT_TIMEOUT_MS = 10_000;

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type Query = Record<string, string | number | undefined>;

/**
 * Typed client for the Keyward HTTP API. Refused requests throw {@link KeywardApiError}; a key that fails
 * verification is an answer (`valid: false`), not an error.
 */
export class KeywardClient {
  /** The normalized base URL, without a trailing slash. */
  readonly baseUrl: string;
  // Private fields keep the token out of console.log, util.inspect and JSON.stringify of the client.
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: KeywardClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    this.#token = checkToken(options.token);
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new KeywardError("CONFIG_INVALID", "timeoutMs must be a positive integer.");
    }
    this.#timeoutMs = timeoutMs;
  }

  /** Creates a project (needs `projects:write`). */
  async createProject(input: CreateProjectInput): Promise<Project> {
    return this.#request("POST", "/v1/projects", { body: input });
  }

  /** Lists the projects this token can see, one page at a time (needs `projects:read`). */
  async listProjects(options: PageOptions = {}): Promise<Page<Project>> {
    return this.#request("GET", "/v1/projects", { query: { limit: options.limit, cursor: options.cursor } });
  }

  /** Gets one project (needs `projects:read`). */
  async getProject(id: string): Promise<Project> {
    return this.#request("GET", `/v1/projects/${pathId(id)}`);
  }

  /**
   * Renames a project, sets (a duration) or removes (null) its key policies, sets or removes (null) its IP
   * allowlist, or changes its time zone (needs `projects:write`).
   */
  async updateProject(id: string, input: UpdateProjectInput): Promise<Project> {
    return this.#request("PATCH", `/v1/projects/${pathId(id)}`, { body: input });
  }

  /**
   * Deletes a project: it disappears from every read, its keys stop verifying at once and are then revoked; the
   * default project cannot be deleted (needs `projects:write` and `keys:revoke`).
   */
  async deleteProject(id: string): Promise<RevokeKeysResult> {
    return this.#request("DELETE", `/v1/projects/${pathId(id)}`);
  }

  /** Issues a key; the answer holds the plaintext `key`, shown this once only (needs `keys:create`). */
  async createKey(input: CreateKeyInput = {}): Promise<CreatedKey> {
    return this.#request("POST", "/v1/keys", { body: withIsoExpiry(input) });
  }

  /** Lists keys in creation order, filtered by project and owner (needs `keys:read`). */
  async listKeys(options: ListKeysOptions = {}): Promise<Page<Key>> {
    const { projectId, ownerId, limit, cursor } = options;
    return this.#request("GET", "/v1/keys", { query: { projectId, ownerId, limit, cursor } });
  }

  /** Gets one key's record, never the key itself (needs `keys:read`). */
  async getKey(id: string): Promise<Key> {
    return this.#request("GET", `/v1/keys/${pathId(id)}`);
  }

  /** Changes a key; absent fields stay as they are (needs `keys:update`). */
  async updateKey(id: string, input: UpdateKeyInput): Promise<Key> {
    return this.#request("PATCH", `/v1/keys/${pathId(id)}`, { body: withIsoExpiry(input) });
  }

  /** Revokes a key for good; revoking again returns the first revocation (needs `keys:revoke`). */
  async revokeKey(id: string, input: RevokeKeyInput = {}): Promise<Key> {
    return this.#request("POST", `/v1/keys/${pathId(id)}/revoke`, { body: input });
  }

  /**
   * Erases a key's record for good (revocation keeps it); its audit entries stay (needs `keys:revoke`).
   */
  async deleteKey(id: string): Promise<void> {
    await this.#request("DELETE", `/v1/keys/${pathId(id)}`, { noContent: true });
  }

  /**
   * Imports keys from another system by the SHA-256 of their plaintexts, which keep verifying (needs
   * `keys:create`); hashes that are not SHA-256 digests or exist already come back in `failed`.
   */
  async importKeys(input: ImportKeysInput): Promise<ImportKeysResult> {
    return this.#request("POST", "/v1/keys/import", { body: input });
  }

  /** Revokes every live key of a project, of an owner, or of an owner in a project (needs `keys:revoke`). */
  async revokeKeys(input: RevokeKeysInput): Promise<RevokeKeysResult> {
    return this.#request("POST", "/v1/keys/revoke", { body: input });
  }

  /**
   * Replaces a key with a new one (its plaintext shown this once); the old key keeps working for the grace period
   * and then expires (needs `keys:rotate`).
   */
  async rotateKey(id: string, input: RotateKeyInput = {}): Promise<RotatedKey> {
    return this.#request("POST", `/v1/keys/${pathId(id)}/rotate`, { body: input });
  }

  /** Sets a key's quota balance, or adds to or takes from it; answers the key with its new balance (needs `keys:update`). */
  async adjustQuota(id: string, adjustment: QuotaAdjustment): Promise<Key> {
    return this.#request("POST", `/v1/keys/${pathId(id)}/quota`, { body: adjustment });
  }

  /**
   * Checks a key and charges its rate limits and quota; `valid: false` with a `code` (RATE_LIMITED,
   * USAGE_EXCEEDED...) is a normal answer, not an error (needs `keys:verify`). A source throttled for too many
   * failed verifications gets a 429 TOO_MANY_FAILED_VERIFICATIONS error with `retryAfterSeconds`.
   */
  async verifyKey(input: VerifyKeyInput): Promise<VerifyKeyResult> {
    // The key travels in the body only: URLs end up in access logs and proxies.
    return this.#request("POST", "/v1/keys/verify", { body: input });
  }

  /**
   * Takes `cost` (default 1) of `limit` per `windowMs` from one identifier of a namespace; `success: false` is a
   * normal answer, not an error (needs `ratelimit:limit`).
   */
  async ratelimit(input: RatelimitInput): Promise<RatelimitResult> {
    // Identifiers may hold any character (and may be personal data): they travel in the body, never in the URL path.
    return this.#request("POST", "/v1/ratelimit", { body: input });
  }

  /** Sets the limit and window one identifier of a namespace gets instead of the requested ones (needs `ratelimit:write`). */
  async setRateLimitOverride(input: SetRateLimitOverrideInput): Promise<RateLimitOverride> {
    return this.#request("PUT", "/v1/ratelimit/overrides", { body: input });
  }

  /** Lists a namespace's overrides, one page at a time (needs `ratelimit:read`). */
  async listRateLimitOverrides(
    namespace: string,
    options: PageOptions = {},
  ): Promise<Page<RateLimitOverride>> {
    return this.#request("GET", "/v1/ratelimit/overrides", {
      query: {
        namespace: requiredText(namespace, "/namespace"),
        limit: options.limit,
        cursor: options.cursor,
      },
    });
  }

  /** Deletes one identifier's override; NOT_FOUND when there is none (needs `ratelimit:write`). */
  async deleteRateLimitOverride(namespace: string, identifier: string): Promise<void> {
    await this.#request("DELETE", "/v1/ratelimit/overrides", {
      query: {
        namespace: requiredText(namespace, "/namespace"),
        identifier: requiredText(identifier, "/identifier"),
      },
      noContent: true,
    });
  }

  /** Mints an admin token with at most this token's permissions; the plaintext is shown once (needs `tokens:write`). */
  async createToken(input: CreateTokenInput): Promise<CreatedToken> {
    return this.#request("POST", "/v1/tokens", { body: input });
  }

  /** Lists admin tokens in creation order (needs `tokens:read`). */
  async listTokens(options: PageOptions = {}): Promise<Page<Token>> {
    return this.#request("GET", "/v1/tokens", { query: { limit: options.limit, cursor: options.cursor } });
  }

  /** Revokes an admin token for good (needs `tokens:write`). */
  async revokeToken(id: string): Promise<Token> {
    return this.#request("POST", `/v1/tokens/${pathId(id)}/revoke`, { body: {} });
  }

  /** Registers a webhook endpoint; the answer holds its signing `secret`, shown this once only (needs `webhooks:write`). */
  async createWebhook(input: CreateWebhookInput): Promise<CreatedWebhook> {
    return this.#request("POST", "/v1/webhooks", { body: input });
  }

  /** Lists webhooks in creation order, optionally of one project (needs `webhooks:read`). */
  async listWebhooks(options: ListWebhooksOptions = {}): Promise<Page<Webhook>> {
    const { projectId, limit, cursor } = options;
    return this.#request("GET", "/v1/webhooks", { query: { projectId, limit, cursor } });
  }

  /** Gets one webhook, never its secret (needs `webhooks:read`). */
  async getWebhook(id: string): Promise<Webhook> {
    return this.#request("GET", `/v1/webhooks/${pathId(id)}`);
  }

  /** Changes a webhook; absent fields stay as they are (needs `webhooks:write`). */
  async updateWebhook(id: string, input: UpdateWebhookInput): Promise<Webhook> {
    return this.#request("PATCH", `/v1/webhooks/${pathId(id)}`, { body: input });
  }

  /** Deletes a webhook and its deliveries (needs `webhooks:write`). */
  async deleteWebhook(id: string): Promise<void> {
    await this.#request("DELETE", `/v1/webhooks/${pathId(id)}`, { noContent: true });
  }

  /** Lists a webhook's deliveries, newest first, each with its attempts (needs `webhooks:read`). */
  async listDeliveries(webhookId: string, options: ListDeliveriesOptions = {}): Promise<Page<Delivery>> {
    const { status, limit, cursor } = options;
    return this.#request("GET", `/v1/webhooks/${pathId(webhookId)}/deliveries`, {
      query: { status, limit, cursor },
    });
  }

  /** Sends an event to a webhook again, now, with a fresh retry window (needs `webhooks:write`). */
  async retryDelivery(webhookId: string, eventId: string): Promise<Delivery> {
    return this.#request(
      "POST",
      `/v1/webhooks/${pathId(webhookId)}/deliveries/${pathId(eventId, "/eventId")}/retry`,
      { body: {} },
    );
  }

  /** Alerts of the projects the token can see, oldest first (needs `alerts:read`). */
  async listAlerts(options: ListAlertsOptions = {}): Promise<Page<Alert>> {
    const { projectId, acknowledged, type, limit, cursor } = options;
    return this.#request("GET", "/v1/alerts", {
      query: {
        projectId,
        acknowledged: acknowledged === undefined ? undefined : String(acknowledged),
        type,
        limit,
        cursor,
      },
    });
  }

  /** Acknowledges an alert; acknowledging again returns the first acknowledgement (needs `alerts:write`). */
  async acknowledgeAlert(id: string): Promise<Alert> {
    return this.#request("POST", `/v1/alerts/${pathId(id)}/ack`, { body: {} });
  }

  /**
   * Audit log entries, newest first (or oldest first), filtered by actor, action, target, project and time
   * (`to` exclusive); `count: true` adds `total` (needs `audit:read`).
   */
  async listAuditEntries(options: ListAuditEntriesOptions = {}): Promise<AuditPage> {
    const { actorId, action, targetId, projectId, order, limit, cursor, count } = options;
    const iso = (value: Date | string | undefined) => (value instanceof Date ? value.toISOString() : value);
    return this.#request("GET", "/v1/audit", {
      query: {
        actorId,
        action,
        targetId,
        projectId,
        from: iso(options.from),
        to: iso(options.to),
        order,
        limit,
        cursor,
        count: count === undefined ? undefined : String(count),
      },
    });
  }

  /**
   * Verifies the whole audit log and its stored checkpoints, and also `checkpoints` kept elsewhere when given
   * (what {@link exportAuditCheckpoints} returned). A broken chain is an answer (`ok: false`), not an error
   * (needs `audit:read` on every project). Reading a large log takes a while: `timeoutMs` overrides the client's.
   */
  async verifyAuditLog(options: VerifyAuditLogOptions = {}): Promise<AuditVerification> {
    const timing = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
    if (options.checkpoints === undefined) return this.#request("GET", "/v1/audit/verify", timing);
    const { publicKeys, checkpoints } = options.checkpoints;
    return this.#request("POST", "/v1/audit/verify", { body: { publicKeys, checkpoints }, ...timing });
  }

  /** Every signed audit checkpoint and the public keys that verify them, to keep elsewhere (needs `audit:read`). */
  async exportAuditCheckpoints(): Promise<AuditCheckpointExport> {
    return this.#request("GET", "/v1/audit/checkpoints");
  }

  /** Signs a checkpoint of the audit log as it ends now (needs `audit:write`). */
  async createAuditCheckpoint(): Promise<AuditCheckpoint> {
    return this.#request("POST", "/v1/audit/checkpoints", { body: {} });
  }

  /** A key's verification outcomes by code, in zero-filled UTC buckets (needs `usage:read`). */
  async getKeyUsage(id: string, options: UsageRangeOptions = {}): Promise<KeyUsage> {
    return this.#request("GET", `/v1/keys/${pathId(id)}/usage`, { query: rangeQuery(options) });
  }

  /**
   * Usage of many keys in one call: totals, the series and the top keys (or codes) of a project, or of every
   * project the token can see (needs `usage:read`).
   */
  async getUsage(options: UsageOptions = {}): Promise<Usage> {
    const { projectId, groupBy, limit } = options;
    return this.#request("GET", "/v1/usage", {
      query: { projectId, ...rangeQuery(options), groupBy, limit },
    });
  }

  /** Stores an upstream credential sealed; answers its metadata only (needs `secrets:write`). */
  async createSecret(input: CreateSecretInput): Promise<Secret> {
    return this.#request("POST", "/v1/secrets", { body: input });
  }

  /** Secrets' metadata in creation order, never values (needs `secrets:read`). */
  async listSecrets(options: ListSecretsOptions = {}): Promise<Page<Secret>> {
    const { projectId, limit, cursor } = options;
    return this.#request("GET", "/v1/secrets", { query: { projectId, limit, cursor } });
  }

  /** One secret's metadata (needs `secrets:read`). */
  async getSecret(id: string): Promise<Secret> {
    return this.#request("GET", `/v1/secrets/${pathId(id)}`);
  }

  /** Replaces a secret's value (needs `secrets:write`). */
  async updateSecret(id: string, input: { value: string }): Promise<Secret> {
    return this.#request("PATCH", `/v1/secrets/${pathId(id)}`, { body: input });
  }

  /** Deletes a secret (needs `secrets:write`). */
  async deleteSecret(id: string): Promise<void> {
    await this.#request("DELETE", `/v1/secrets/${pathId(id)}`, { noContent: true });
  }

  /**
   * A secret's value: audited and rate limited per token (10 a minute, with key reveals; past it a
   * KeywardApiError with code TOO_MANY_REVEALS and `retryAfterSeconds`). Needs `secrets:reveal`.
   */
  async revealSecret(id: string): Promise<RevealedSecret> {
    return this.#request("POST", `/v1/secrets/${pathId(id)}/reveal`, { body: {} });
  }

  /**
   * The plaintext of a key issued while its project had `recoverableKeys` on; NOT_FOUND for any other key. Audited
   * and rate limited like {@link revealSecret}. Needs `keys:reveal`.
   */
  async revealKey(id: string): Promise<RevealedKey> {
    return this.#request("POST", `/v1/keys/${pathId(id)}/reveal`, { body: {} });
  }

  /**
   * Creates an identity: meta and rate limits shared by every key whose ownerId is its externalId, in every project
   * (needs `identities:write`).
   */
  async createIdentity(input: CreateIdentityInput): Promise<Identity> {
    return this.#request("POST", "/v1/identities", { body: input });
  }

  /** Lists identities in externalId order; `search` matches id or externalId (needs `identities:read`). */
  async listIdentities(options: SearchPageOptions = {}): Promise<Page<Identity>> {
    const { search, limit, cursor } = options;
    return this.#request("GET", "/v1/identities", { query: { search, limit, cursor } });
  }

  /** Gets one identity by its id (`id_…`) or its externalId (needs `identities:read`). */
  async getIdentity(id: string): Promise<Identity> {
    return this.#request("GET", `/v1/identities/${pathId(id)}`);
  }

  /** Replaces an identity's meta and/or rate limits; absent fields stay (needs `identities:write`). */
  async updateIdentity(id: string, input: UpdateIdentityInput): Promise<Identity> {
    return this.#request("PATCH", `/v1/identities/${pathId(id)}`, { body: input });
  }

  /** Deletes an identity; its keys keep their ownerId (needs `identities:write`). */
  async deleteIdentity(id: string): Promise<void> {
    await this.#request("DELETE", `/v1/identities/${pathId(id)}`, { noContent: true });
  }

  /** Adds a permission to the instance's catalogue; CONFLICT when the slug exists (needs `rbac:write`). */
  async createPermission(input: CreatePermissionInput): Promise<Permission> {
    return this.#request("POST", "/v1/permissions", { body: input });
  }

  /** Lists the catalogue's permissions in id order (needs `rbac:read`). */
  async listPermissions(options: SearchPageOptions = {}): Promise<Page<Permission>> {
    const { search, limit, cursor } = options;
    return this.#request("GET", "/v1/permissions", { query: { search, limit, cursor } });
  }

  /** Gets one permission by id or slug (needs `rbac:read`). */
  async getPermission(ref: string): Promise<Permission> {
    return this.#request("GET", `/v1/permissions/${pathId(ref, "/ref")}`);
  }

  /** Deletes a permission, by id or slug, and takes it out of every role (needs `rbac:write`). */
  async deletePermission(ref: string): Promise<void> {
    await this.#request("DELETE", `/v1/permissions/${pathId(ref, "/ref")}`, { noContent: true });
  }

  /** Creates a role; permission slugs not in the catalogue yet are added to it (needs `rbac:write`). */
  async createRole(input: CreateRoleInput): Promise<Role> {
    return this.#request("POST", "/v1/roles", { body: input });
  }

  /** Lists roles in creation order, with their permissions (needs `rbac:read`). */
  async listRoles(options: SearchPageOptions = {}): Promise<Page<Role>> {
    const { search, limit, cursor } = options;
    return this.#request("GET", "/v1/roles", { query: { search, limit, cursor } });
  }

  /** Gets one role by id or name (needs `rbac:read`). */
  async getRole(ref: string): Promise<Role> {
    return this.#request("GET", `/v1/roles/${pathId(ref, "/ref")}`);
  }

  /** Replaces a role's permissions with these slugs; every key holding it sees the change (needs `rbac:write`). */
  async setRolePermissions(ref: string, permissions: string[]): Promise<Role> {
    return this.#request("PUT", `/v1/roles/${pathId(ref, "/ref")}/permissions`, { body: { permissions } });
  }

  /** Deletes a role, by id or name; keys holding it lose its permissions at once (needs `rbac:write`). */
  async deleteRole(ref: string): Promise<void> {
    await this.#request("DELETE", `/v1/roles/${pathId(ref, "/ref")}`, { noContent: true });
  }

  /** Liveness: resolves when the server answers `GET /healthz`. */
  async health(): Promise<HealthStatus> {
    return this.#request("GET", "/healthz");
  }

  async #request<T>(
    method: Method,
    path: string,
    options: { body?: unknown; query?: Query; noContent?: boolean; timeoutMs?: number } = {},
  ): Promise<T> {
    const url = `${this.baseUrl}${path}${queryString(options.query)}`;
    const where = `${method} ${url}`;
    const headers: Record<string, string> = {
      accept: "application/json, application/problem+json",
      authorization: `Bearer ${this.#token}`,
    };
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(timeoutMs) };
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }

    let status: number;
    let statusText: string;
    let retryAfter: string | null;
    let text: string;
    try {
      const response = await this.#fetch(url, init);
      status = response.status;
      statusText = response.statusText;
      retryAfter = response.headers.get("retry-after");
      text = await response.text();
    } catch (error) {
      throw this.#transportError(error, where, timeoutMs);
    }

    const body = parseJson(text);
    if (status < 200 || status > 299) {
      throw problemError({
        status,
        statusText,
        body,
        where,
        retryAfter: parseRetryAfter(retryAfter, Date.now()),
      });
    }
    // A 204 has nothing to read; the methods that expect it resolve with nothing.
    if (options.noContent === true) return undefined as T;
    if (body === undefined) {
      throw new KeywardApiError({
        status,
        code: "INVALID_RESPONSE",
        detail: `${where} answered ${status} without a JSON body.`,
      });
    }
    return body as T;
  }

  #transportError(error: unknown, where: string, timeoutMs: number): KeywardApiError {
    const name = (error as { name?: unknown } | null)?.name;
    if (name === "TimeoutError") {
      return new KeywardApiError({
        status: 0,
        code: "TIMEOUT",
        detail: `${where} got no answer within ${timeoutMs} ms.`,
        cause: error,
      });
    }
    // undici hides the reason (ECONNREFUSED, ENOTFOUND...) in `cause`; name it, minus anything token-shaped.
    const reason = reasonOf(error).split(this.#token).join("[redacted]");
    return new KeywardApiError({
      status: 0,
      code: "NETWORK_ERROR",
      detail: `Could not reach Keyward: ${where} failed${reason === "" ? "" : `: ${reason}`}.`,
      cause: error,
    });
  }
}

function normalizeBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new KeywardError("CONFIG_INVALID", "baseUrl must be an absolute http or https URL.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new KeywardError("CONFIG_INVALID", "baseUrl must be an http or https URL.");
  }
  // The message does not echo the URL here: it holds a secret.
  if (url.username !== "" || url.password !== "") {
    throw new KeywardError(
      "CONFIG_INVALID",
      "baseUrl must not contain credentials; pass the token as `token`.",
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new KeywardError("CONFIG_INVALID", "baseUrl must not have a query or a fragment.");
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function checkToken(token: string): string {
  const trimmed = typeof token === "string" ? token.trim() : "";
  if (trimmed === "") throw new KeywardError("CONFIG_INVALID", "token must be a non-empty admin token.");
  // A header value with control characters or spaces makes fetch throw a message that quotes it.
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) {
      throw new KeywardError("CONFIG_INVALID", "token must be printable ASCII without spaces.");
    }
  }
  return trimmed;
}

function pathId(id: string, pointer = "/id"): string {
  return encodeURIComponent(requiredText(id, pointer));
}

function requiredText(value: string, pointer: string): string {
  if (typeof value !== "string" || value === "") {
    throw invalidField(pointer, "must be a non-empty string");
  }
  return value;
}

function queryString(query: Query | undefined): string {
  if (query === undefined) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value));
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/** The range options as query parameters: instants as RFC 3339. */
function rangeQuery(options: UsageRangeOptions): Query {
  const iso = (value: Date | string | undefined) => (value instanceof Date ? value.toISOString() : value);
  return { from: iso(options.from), to: iso(options.to), granularity: options.granularity };
}

function withIsoExpiry<T extends { expiresAt?: Date | string | null }>(
  input: T,
): Omit<T, "expiresAt"> & { expiresAt?: string | null } {
  const { expiresAt, ...rest } = input;
  if (expiresAt === undefined) return rest;
  return { ...rest, expiresAt: expiresAt instanceof Date ? expiresAt.toISOString() : expiresAt };
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads a Retry-After header (RFC 9110 section 10.2.3): delay-seconds, or an HTTP date turned into the seconds
 * from `nowMs`, rounded up; null when absent or unreadable.
 */
function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const dateMs = Date.parse(text);
  // Date.parse also reads "1" or "2026"; only an IMF-fixdate-like text with a weekday counts as a date here.
  if (Number.isNaN(dateMs) || !/^[A-Za-z]{3,9}, /.test(text)) return null;
  return Math.max(0, Math.ceil((dateMs - nowMs) / 1_000));
}

function problemError(options: {
  status: number;
  statusText: string;
  body: unknown;
  where: string;
  retryAfter: number | null;
}): KeywardApiError {
  const { status, statusText, body, where, retryAfter } = options;
  const problem = body as
    | { code?: unknown; detail?: unknown; requestId?: unknown; errors?: unknown }
    | undefined;
  if (typeof problem?.code !== "string") {
    // Not Keyward's answer (a proxy's HTML page, say): say what came back without guessing a code.
    return new KeywardApiError({
      status,
      code: "INVALID_RESPONSE",
      detail: `${where} answered ${status}${statusText === "" ? "" : ` ${statusText}`} without a problem document.`,
    });
  }
  return new KeywardApiError({
    status,
    code: problem.code,
    detail: typeof problem.detail === "string" ? problem.detail : `${where} answered ${status}.`,
    requestId: typeof problem.requestId === "string" ? problem.requestId : null,
    errors: Array.isArray(problem.errors) ? problem.errors.filter(isFieldError) : [],
    retryAfterSeconds: retryAfter,
  });
}

function isFieldError(value: unknown): value is FieldError {
  const candidate = value as { pointer?: unknown; detail?: unknown } | null;
  return typeof candidate?.pointer === "string" && typeof candidate.detail === "string";
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const source = cause instanceof Error ? cause : error;
  return source instanceof Error ? source.message.replace(/\s+/g, " ").trim() : "";
}
