import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import type { KeyRecord } from "@keyward/core/key-record.js";
import { parseConfig } from "../config.js";
import { DATABASE_FILE, openInstance } from "../instance.js";
import { sealSecret } from "../kms/envelope.js";
import type { Kms } from "../kms/kms.js";
import type { Clock } from "../services/clock.js";
import type { Principal } from "../services/principal.js";
import { userTotpContext } from "../services/seal-contexts.js";
import { DEFAULT_PROJECT_SETTING } from "./key-store.js";
import type { ProjectRecord } from "./records.js";
import { SqliteDatabase } from "./sqlite-database.js";
import { T0 } from "./store-fixtures.js";
import type { Stores } from "./stores.js";

/** The root principal the fixtures act as. */
export const ROOT: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };

/** What {@link populateSqliteInstallation} made, with the plaintexts a copy must keep working. */
export interface PopulatedInstallation {
  dataDir: string;
  databasePath: string;
  masterKey: Buffer;
  project: ProjectRecord;
  /** A key with rate limits, a quota, an allowlist and usage, verified twice from 10.1.2.3. */
  limitedKey: { key: string; id: string };
  /** The replacement of a rotated key, and the rotated key (in its grace window at `nowMs`). */
  rotatedKey: { key: string; id: string; previousKey: string; previousId: string };
  revokedKey: { key: string; id: string };
  /** An admin token limited to the project, with `keys:read`. */
  token: string;
  webhook: { id: string; secret: string };
  /** A vault secret of the project, revealed once. */
  secret: { id: string; value: string };
  /**
   * An admin user with two roles and a confirmed TOTP secret (sealed), two recovery codes (one used), a session
   * and an invitation; the digests look the session and invitation up.
   */
  user: { id: string; totpSecret: Buffer; sessionDigest: Buffer; invitationDigest: Buffer };
  /** The fixture clock's time when it finished; a copy verified then is still within every grace window. */
  nowMs: number;
}

/**
 * Populates a SQLite installation in `dataDir` through the real services (as `keyward serve` would), with a
 * record in every table `keyward store copy` copies: a project with policies, an allowlist and a time zone;
 * limited, rotated, revoked and disabled keys with usage and quota balances; a token; a webhook with delivered,
 * retrying and leased deliveries and their attempts; an expiry notice; rate limit overrides. Closed on return.
 */
export async function populateSqliteInstallation(dataDir: string): Promise<PopulatedInstallation> {
  const masterKey = randomBytes(32);
  let nowMs = T0;
  const clock: Clock = { now: () => nowMs };
  const config = parseConfig(
    { KEYWARD_DATA_DIR: dataDir },
    { masterKey, logLevel: "silent", schedulerEnabled: false, webhookDeliveryEnabled: false },
  );
  const instance = await openInstance({ config, clock });
  let result: Omit<PopulatedInstallation, "nowMs">;
  try {
    const created = await instance.projects.createProject(ROOT, { name: "billing ☕", keyPrefix: "bill" });
    const project = await instance.projects.updateProject(ROOT, created.id, {
      policies: { rotationPeriod: "P90D" },
      ipAllowlist: ["10.0.0.0/8", "2001:db8::/32"],
      timezone: "Europe/Paris",
      // Every key of the project keeps a sealed copy: key_recoveries has rows to copy.
      recoverableKeys: true,
      // A true flag in require_2fa, so a copy that dropped the column would be seen.
      require2fa: true,
    });
    const webhook = await instance.webhooks.createWebhook(ROOT, {
      projectId: project.id,
      url: "https://hooks.example.com/keyward",
      events: ["*"],
      description: "billing sync",
    });
    nowMs += 1_000;
    // A role whose permissions are one defined in the catalogue and one the role adds: three rbac tables.
    await instance.keyRoles.createPermission(ROOT, { slug: "orders:write", name: "Écrire des commandes" });
    await instance.keyRoles.createRole(ROOT, {
      name: "clerk",
      permissions: ["orders:write", "orders:refund"],
    });
    const limited = await instance.keys.createKey(ROOT, {
      projectId: project.id,
      name: "ключ checkout",
      ownerId: "cust_42",
      scopes: ["orders:read", "billing:*"],
      roles: ["clerk"],
      meta: { plan: "pro", note: "café \u0000 \u{1F511}" },
      rateLimits: [{ name: "burst", limit: 20, windowMs: 1_000 }],
      quota: { remaining: 1_000, refill: { amount: 1_000, interval: "month" } },
      ipAllowlist: ["10.1.0.0/16"],
      expiresAt: nowMs + 30 * 86_400_000,
    });
    const toRotate = await instance.keys.createKey(ROOT, { projectId: project.id, name: "to rotate" });
    nowMs += 1_000;
    const rotated = await instance.keys.rotateKey(ROOT, toRotate.record.id, { gracePeriodSeconds: 3_600 });
    const revoked = await instance.keys.createKey(ROOT, { projectId: project.id, name: "leaked" });
    await instance.keys.revokeKey(ROOT, revoked.record.id, "leaked in a log");
    await instance.keys.createKey(ROOT, { projectId: project.id, name: "paused", enabled: false });
    // A key imported by the SHA-256 of its plaintext, not verified yet: a key_migrations row, a version 0 digest.
    await instance.keys.importKeys(ROOT, {
      projectId: project.id,
      migrationId: "unkey_export",
      keys: [{ hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", name: "imported" }],
    });
    nowMs += 1_000;
    for (let i = 0; i < 2; i += 1) {
      const outcome = await instance.keys.verifyKey(ROOT, { key: limited.key, ip: "10.1.2.3" });
      if (!outcome.valid) throw new Error(`the fixture key does not verify: ${outcome.code}`);
    }
    const token = await instance.tokens.createToken(ROOT, {
      name: "ci",
      permissions: ["keys:read"],
      projectIds: [project.id],
    });
    for (const identifier of ["203.0.113.7", "Zeta", "alpha"]) {
      await instance.ratelimits.setOverride(ROOT, {
        namespace: "login",
        identifier,
        limit: 5,
        windowMs: 60_000,
      });
    }
    await instance.identities.createIdentity(ROOT, {
      externalId: "cust_☕",
      meta: { plan: "pro" },
      rateLimits: [{ name: "requests", limit: 10, windowMs: 60_000 }],
    });
    const expiresAt = (await instance.stores.keys.findKey(limited.record.id))?.expiresAt ?? nowMs;
    await instance.stores.lifecycle.recordKeyNotice(
      { keyId: limited.record.id, kind: "key.expiring", subjectAt: expiresAt, sentAt: nowMs },
      [],
    );
    const secret = await instance.secrets.createSecret(ROOT, {
      projectId: project.id,
      name: "UPSTREAM_API_KEY",
      value: "upstream ☕ sk_live_0123456789",
    });
    await instance.secrets.revealSecret(ROOT, secret.id);
    await instance.secrets.revealKey(ROOT, limited.record.id);
    await recordDeliveryAttempts(instance.stores, nowMs);
    const user = await addUser(instance.stores, instance.kms, project.id, nowMs);
    // The changes above wrote the audit chain; a signed checkpoint fills audit_checkpoints too.
    await instance.audit.checkpoint(ROOT);
    result = {
      dataDir,
      databasePath: join(dataDir, DATABASE_FILE),
      masterKey,
      project,
      limitedKey: { key: limited.key, id: limited.record.id },
      rotatedKey: {
        key: rotated.key,
        id: rotated.record.id,
        previousKey: toRotate.key,
        previousId: toRotate.record.id,
      },
      revokedKey: { key: revoked.key, id: revoked.record.id },
      token: token.token,
      webhook: { id: webhook.record.id, secret: webhook.secret },
      secret: { id: secret.id, value: "upstream ☕ sk_live_0123456789" },
      user,
    };
  } finally {
    // Writes the batched usage and quota balances.
    await instance.close();
  }
  addSettingsInMixedCase(result.databasePath);
  addAlert(result.databasePath, result.project.id, result.revokedKey.id);
  return { ...result, nowMs };
}

/** One delivery delivered, one retrying after a 500, one leased by a worker that is still at it. */
async function recordDeliveryAttempts(stores: Stores, nowMs: number): Promise<void> {
  const claimed = await stores.webhooks.claimDeliveries({ nowMs, leaseUntilMs: nowMs + 60_000, limit: 3 });
  const [delivered, retrying] = claimed;
  if (delivered === undefined || retrying === undefined || claimed.length < 3) {
    throw new Error(`the fixture expected 3 deliveries to claim, got ${claimed.length}`);
  }
  const attempt = { attemptedAt: nowMs, durationMs: 12, error: null };
  await stores.webhooks.finishDelivery({
    webhookId: delivered.webhookId,
    eventId: delivered.eventId,
    attempt: { ...attempt, attempt: delivered.attempt, statusCode: 204, responseBody: "" },
    outcome: { status: "delivered" },
  });
  await stores.webhooks.finishDelivery({
    webhookId: retrying.webhookId,
    eventId: retrying.eventId,
    attempt: { ...attempt, attempt: retrying.attempt, statusCode: 500, responseBody: "upstream down" },
    outcome: { status: "pending", nextAttemptAt: nowMs + 5_000 },
  });
}

/**
 * An admin user, written through the user store (the user services are not part of the fixture): instance-wide
 * auditor and the project's developer, a confirmed TOTP secret sealed for its id, recovery codes (one used), a
 * session that presented its second factor, and a pending invitation to the project.
 */
async function addUser(
  stores: Stores,
  kms: Kms,
  projectId: string,
  nowMs: number,
): Promise<PopulatedInstallation["user"]> {
  const id = "usr_0000000000000000000001";
  await stores.users.createUser({
    record: {
      id,
      email: "ada@example.com",
      name: "Ada Lovelace ☕",
      roles: [
        { role: "auditor", projectId: null },
        { role: "developer", projectId },
      ],
      twoFactorEnabled: false,
      hasPassword: true,
      createdBy: "tok_root",
      createdAt: nowMs,
      updatedAt: nowMs,
    },
    passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
  });
  const totpSecret = randomBytes(20);
  const sealed = JSON.stringify(await sealSecret(kms, totpSecret, userTotpContext(id)));
  if (!(await stores.users.startTotpEnrolment(id, sealed, nowMs)))
    throw new Error("the fixture could not enrol");
  const codes = [randomBytes(32), randomBytes(32)];
  const step = Math.floor(nowMs / 30_000);
  await stores.users.confirmTotp(id, { step, nowMs, recoveryCodeDigests: codes });
  await stores.users.useRecoveryCode(id, codes[0] ?? Buffer.alloc(0), nowMs);
  const sessionDigest = createHash("sha256").update("fixture session").digest();
  await stores.users.createSession(
    {
      id: "ses_0000000000000000000001",
      userId: id,
      kind: "browser",
      createdAt: nowMs,
      lastSeenAt: nowMs,
      expiresAt: nowMs + 12 * 3_600_000,
      secondFactorAt: nowMs,
      revokedAt: null,
      sourceIp: "203.0.113.9",
      userAgent: "Mozilla/5.0 (fixture)",
    },
    sessionDigest,
  );
  const invitationDigest = createHash("sha256").update("fixture invitation").digest();
  await stores.users.createInvitation(
    {
      id: "inv_0000000000000000000001",
      email: "grace@example.com",
      role: "viewer",
      projectId,
      createdBy: id,
      createdAt: nowMs,
      expiresAt: nowMs + 7 * 86_400_000,
      acceptedAt: null,
    },
    invitationDigest,
  );
  return { id, totpSecret, sessionDigest, invitationDigest };
}

/**
 * Instance settings no Keyward writes, whose names sort differently by bytes ("Zeta" < "alpha") and by a
 * linguistic collation: `instance_settings.name` has the PostgreSQL database's default collation.
 */
function addSettingsInMixedCase(databasePath: string): void {
  const database = new SqliteDatabase({ path: databasePath });
  try {
    database.write(() => {
      const insert = database.statement(
        "INSERT INTO instance_settings (name, value, created_at) VALUES (?, ?, ?)",
      );
      insert.run("Zeta", "z", T0);
      insert.run("alpha", "a", T0);
    });
  } finally {
    database.close();
  }
}

/** An alert about the revoked key, so the copy has a row of `alerts` to carry over. */
function addAlert(databasePath: string, projectId: string, keyId: string): void {
  const database = new SqliteDatabase({ path: databasePath });
  try {
    database.write(() => {
      database
        .statement(
          "INSERT INTO alerts (id, project_id, key_id, type, dedup_key, first_seen_at, last_seen_at, occurrences, details, acknowledged_at, acknowledged_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(
          "alr_0000000000000000000001",
          projectId,
          keyId,
          "dead_key_used",
          `dead_key_used:${keyId}`,
          T0,
          T0 + 1_000,
          3,
          JSON.stringify({ keyId, code: "REVOKED", ip: "203.0.113.7", at: T0 }),
          null,
          null,
        );
    });
  } finally {
    database.close();
  }
}

/** Everything an installation holds, read through the store interfaces, for comparing two stores. */
export async function readThroughStores(
  stores: Stores,
  digests: { keys: readonly Buffer[]; tokens: readonly Buffer[]; webhookIds: readonly string[] },
): Promise<Record<string, unknown>> {
  const users = await stores.users.listUsers({ limit: 100 });
  const userDetails: unknown[] = [];
  for (const user of users) {
    userDetails.push({
      credentials: await stores.users.findCredentials(user.id),
      unusedRecoveryCodes: await stores.users.countUnusedRecoveryCodes(user.id),
      sessions: await stores.users.listSessions(user.id),
    });
  }
  const keysByDigest: unknown[] = [];
  for (const digest of digests.keys) keysByDigest.push(await stores.keys.findKeyByDigest(digest));
  const tokensByDigest: unknown[] = [];
  for (const digest of digests.tokens) tokensByDigest.push(await stores.keys.findTokenByDigest(digest));
  const deliveries: unknown[] = [];
  for (const id of digests.webhookIds)
    deliveries.push(await stores.webhooks.listDeliveries(id, { limit: 100 }));
  const keys: KeyRecord[] = await stores.keys.listKeys({ projectIds: null, limit: 100 });
  return {
    peppers: await stores.peppers.listPeppers(),
    defaultProject: await stores.keys.readInstanceSetting(DEFAULT_PROJECT_SETTING),
    projects: await stores.keys.listProjects({ limit: 100 }),
    keys,
    keysByDigest,
    tokens: await stores.keys.listTokens({ limit: 100 }),
    tokensByDigest,
    overrides: await stores.keys.listRateLimitOverrides("login", { limit: 100 }),
    webhooks: await stores.webhooks.listWebhooks({ projectIds: null, limit: 100 }),
    deliveries,
    users,
    userDetails,
  };
}
