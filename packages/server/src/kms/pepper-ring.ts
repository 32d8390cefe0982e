import { KeywardError } from "@keyward/core/keyward-error.js";
import { type PepperSchedule, pepperSchedule } from "@keyward/core/pepper-schedule.js";
import type { Clock } from "../services/clock.js";
import type { PepperRecord, PepperStore } from "../store/pepper-store.js";
import { openSecret, type SealedSecret } from "./envelope.js";
import type { Kms } from "./kms.js";

/** A pepper version this node can digest with. */
export interface LivePepper {
  version: number;
  pepper: Buffer;
  activatesAt: number;
}

/** Options for {@link PepperRing.open}. */
export interface PepperRingSource {
  store: PepperStore;
  kms: Kms;
  clock: Clock;
}

/**
 * The live pepper versions of this node, and the schedule of which one digests new keys. Loaded from the store
 * at start and reloaded by {@link refresh} (every node reloads on a timer, so a rotation's new version reaches
 * every node before it activates). A version is unsealed once, when first seen.
 */
export class PepperRing {
  readonly #clock: Clock;
  readonly #source: PepperRingSource | null;
  /** Unsealed peppers by the sealed value they came from: a rewrapped value is unsealed again, nothing else. */
  #opened = new Map<string, Buffer>();
  #versions: readonly LivePepper[];
  #schedule: PepperSchedule<LivePepper>;

  constructor(versions: readonly LivePepper[], clock: Clock, source: PepperRingSource | null = null) {
    this.#clock = clock;
    this.#source = source;
    this.#versions = versions;
    this.#schedule = pepperSchedule(versions, clock.now());
  }

  /** A ring of one pepper that never changes, for tests and tools that need a digest and no store. */
  static of(pepper: Buffer, clock: Clock): PepperRing {
    return new PepperRing([{ version: 1, pepper, activatesAt: 0 }], clock);
  }

  /**
   * Loads and unseals the live versions of an initialized store. Throws MASTER_KEY_MISMATCH when the KMS cannot
   * open them, KMS_UNAVAILABLE when it cannot be reached.
   */
  static async open(source: PepperRingSource): Promise<PepperRing> {
    const { versions, opened } = await loadVersions(source, new Map());
    const ring = new PepperRing(versions, source.clock, source);
    ring.#opened = opened;
    return ring;
  }

  /** Which pepper digests new keys now, and in which order lookups try the versions. */
  schedule(): PepperSchedule<LivePepper> {
    // Recomputed only when a version activates: the verify path pays one clock read.
    if (this.#clock.now() >= this.#schedule.changesAt) {
      this.#schedule = pepperSchedule(this.#versions, this.#clock.now());
    }
    return this.#schedule;
  }

  /** The live versions, oldest first. */
  get versions(): readonly LivePepper[] {
    return this.#versions;
  }

  /**
   * Reloads the versions from the store: a new version is unsealed and joins lookups, a retired one leaves. On
   * failure the ring keeps what it has and the error is thrown.
   */
  async refresh(): Promise<void> {
    if (this.#source === null) return;
    const { versions, opened } = await loadVersions(this.#source, this.#opened);
    this.#opened = opened;
    this.#versions = versions;
    this.#schedule = pepperSchedule(versions, this.#clock.now());
  }
}

/** The store's live versions, unsealing only those not in `opened` (keyed by sealed value). */
async function loadVersions(
  source: PepperRingSource,
  alreadyOpened: ReadonlyMap<string, Buffer>,
): Promise<{ versions: LivePepper[]; opened: Map<string, Buffer> }> {
  const records = (await source.store.listPeppers()).filter(isLive);
  if (records.length === 0) {
    throw new KeywardError("STORE_UNAVAILABLE", "The store has no live pepper version.");
  }
  const opened = new Map<string, Buffer>();
  const versions: LivePepper[] = [];
  for (const record of records) {
    const pepper = alreadyOpened.get(record.sealedPepper) ?? (await unsealPepper(source.kms, record));
    opened.set(record.sealedPepper, pepper);
    versions.push({ version: record.version, pepper, activatesAt: record.activatesAt });
  }
  return { versions, opened };
}

function isLive(record: PepperRecord): record is PepperRecord & { sealedPepper: string } {
  return record.sealedPepper !== null;
}

/** Opens one version's pepper, sealed under its name. */
export async function unsealPepper(
  kms: Kms,
  record: { name: string; sealedPepper: string },
): Promise<Buffer> {
  try {
    return await openSecret(kms, JSON.parse(record.sealedPepper) as SealedSecret, record.name);
  } catch (error) {
    // An HSM that cannot be reached says nothing about whether it holds the right key.
    if (error instanceof KeywardError && error.code === "KMS_UNAVAILABLE") throw error;
    throw new KeywardError(
      "MASTER_KEY_MISMATCH",
      `The master key cannot decrypt this store's pepper (${record.name}); use the master key it was created with.`,
      { cause: error },
    );
  }
}
