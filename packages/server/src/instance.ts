import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { newId } from "@keyward/core/ids.js";
import { DEFAULT_KEY_PREFIX } from "@keyward/core/key-format.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import type { Config } from "./config.js";
import { openSecret, type SealedSecret, sealSecret } from "./kms/envelope.js";
import type { Kms } from "./kms/kms.js";
import { LocalKms } from "./kms/local-kms.js";
import { loadOrCreateMasterKeyFile } from "./kms/master-key.js";
import { type Clock, systemClock } from "./services/clock.js";
import { KeyService } from "./services/key-service.js";
import { ProjectService } from "./services/project-service.js";
import { mintToken, TokenService } from "./services/token-service.js";
import { DEFAULT_PROJECT_SETTING, type KeyStore, PEPPER_SETTING } from "./store/key-store.js";
import { SqliteKeyStore } from "./store/sqlite-key-store.js";

/** File name of the SQLite database inside the data directory. */
export const DATABASE_FILE = "keyward.db";

/** Everything a running Keyward needs, opened from configuration. */
export interface Instance {
  store: KeyStore;
  kms: Kms;
  keys: KeyService;
  tokens: TokenService;
  projects: ProjectService;
  clock: Clock;
  /** The root token's plaintext when this call initialized the store; null otherwise. Show it once. */
  rootToken: string | null;
  /** Flushes batched usage and closes the store. */
  close(): Promise<void>;
}

/** Options for {@link openInstance}: real dependencies by default, replaceable in tests. */
export interface OpenInstanceOptions {
  config: Config;
  store?: KeyStore;
  kms?: Kms;
  clock?: Clock;
  onUsageWriteError?(error: unknown): void;
}

/**
 * Opens the store and KMS, initializes an empty store (pepper, default project, root token) in one transaction,
 * and unseals the pepper. Throws MASTER_KEY_MISMATCH when the master key cannot open this store's pepper.
 */
export async function openInstance(options: OpenInstanceOptions): Promise<Instance> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const kms = options.kms ?? new LocalKms(config.masterKey ?? loadOrCreateMasterKeyFile(config.dataDir));
  const store =
    options.store ??
    new SqliteKeyStore({
      path: join(config.dataDir, DATABASE_FILE),
      cacheSizeMiB: config.sqliteCacheMiB,
      mmapSizeMiB: config.sqliteMmapMiB,
    });
  try {
    await store.migrate();
    const { pepper, rootToken } = await initializeOrUnseal(store, kms, clock);
    const services = createServices({ store, pepper, clock, config, options });
    services.keys.usage.start(config.usageFlushIntervalMs);
    services.tokens.usage.start(config.usageFlushIntervalMs);
    return {
      store,
      kms,
      clock,
      rootToken,
      ...services,
      async close() {
        await services.keys.usage.stop();
        await services.tokens.usage.stop();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

function createServices(input: {
  store: KeyStore;
  pepper: Buffer;
  clock: Clock;
  config: Config;
  options: OpenInstanceOptions;
}): { keys: KeyService; tokens: TokenService; projects: ProjectService } {
  const { store, pepper, clock, config, options } = input;
  const onError =
    options.onUsageWriteError === undefined ? {} : { onUsageWriteError: options.onUsageWriteError };
  const projects = new ProjectService({
    store,
    clock,
    defaultProjectId: () => store.readInstanceSetting(DEFAULT_PROJECT_SETTING),
  });
  const cache = { cacheMaxEntries: config.cacheMaxEntries, cacheTtlMs: config.cacheTtlMs };
  return {
    projects,
    keys: new KeyService({ store, projects, pepper, clock, keyBytes: config.keyBytes, ...cache, ...onError }),
    tokens: new TokenService({ store, projects, pepper, clock, ...cache, ...onError }),
  };
}

/**
 * Reads and unseals the pepper of an initialized store, or initializes an empty one (pepper, default project,
 * root token) in one transaction. When two processes initialize at once, the loser uses the winner's pepper and
 * prints no root token.
 */
async function initializeOrUnseal(
  store: KeyStore,
  kms: Kms,
  clock: Clock,
): Promise<{ pepper: Buffer; rootToken: string | null }> {
  const sealed = await store.readInstanceSetting(PEPPER_SETTING);
  if (sealed !== null) return { pepper: await unsealPepper(kms, sealed), rootToken: null };
  const pepper = randomBytes(32);
  const now = clock.now();
  const root = mintToken(
    { name: "root", permissions: ["*"], projectIds: null, createdBy: null },
    { pepper, nowMs: now },
  );
  const won = await store.bootstrap({
    sealedPepper: JSON.stringify(await sealSecret(kms, pepper, PEPPER_SETTING)),
    defaultProject: {
      id: newId("proj", { now }),
      name: "default",
      keyPrefix: DEFAULT_KEY_PREFIX,
      createdAt: now,
    },
    rootToken: root.newToken,
  });
  if (won) return { pepper, rootToken: root.token };
  const winners = await store.readInstanceSetting(PEPPER_SETTING);
  if (winners === null)
    throw new KeywardError("STORE_UNAVAILABLE", "The store lost its pepper during bootstrap.");
  return { pepper: await unsealPepper(kms, winners), rootToken: null };
}

async function unsealPepper(kms: Kms, sealed: string): Promise<Buffer> {
  try {
    return await openSecret(kms, JSON.parse(sealed) as SealedSecret, PEPPER_SETTING);
  } catch (error) {
    throw new KeywardError(
      "MASTER_KEY_MISMATCH",
      "The master key cannot decrypt this data directory's pepper; use the master key it was created with.",
      { cause: error },
    );
  }
}
