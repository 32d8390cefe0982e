import { randomBytes } from "node:crypto";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { pepperSchedule } from "@keyward/core/pepper-schedule.js";
import type { Clock } from "../services/clock.js";
import { IMPORTED_PEPPER_VERSION } from "../store/key-import-records.js";
import {
  type DigestCounts,
  type PepperRecord,
  type PepperStore,
  type PepperUsage,
  pepperName,
} from "../store/pepper-store.js";
import { sealSecret } from "./envelope.js";
import type { Kms } from "./kms.js";

/** Where a pepper version stands: digests new keys, waits to, is only looked up, or is gone. */
export type PepperState = "current" | "staged" | "previous" | "retired";

/** One version in {@link PepperStatus}. */
export interface PepperVersionStatus {
  version: number;
  state: PepperState;
  createdAt: number;
  activatesAt: number;
  retiredAt: number | null;
  keys: DigestCounts;
  tokens: DigestCounts;
}

/** What `keyward kms pepper-status` shows. */
export interface PepperStatus {
  /** The version new digests use now. */
  current: number;
  versions: PepperVersionStatus[];
  /** Keys and tokens (not revoked) whose digests still use an older live version: they move when verified. */
  pending: { keys: number; tokens: number };
  /** Keys and tokens (not revoked) left on a version retired with `--force`: they no longer verify. */
  stranded: { keys: number; tokens: number };
  /**
   * Keys (not revoked) imported by SHA-256 and not verified since (version 0): no pepper holds them, so no
   * retirement strands them; each moves to the current version at its first verification.
   */
  imported: { keys: number };
}

/** Options for {@link PepperRotation}. */
export interface PepperRotationOptions {
  store: PepperStore;
  clock: Clock;
}

const NONE: DigestCounts = { active: 0, revoked: 0 };

/**
 * Rotation of the digest pepper, run beside the servers (`keyward kms pepper-*`). A new version is added with an
 * activation time far enough ahead that every server has loaded it by then; from then on, servers digest new
 * keys with it and re-digest each old key at its next verification, the only moment its plaintext is known. Keys
 * never verified again keep the old version until they are revoked or expire; retiring a version destroys it.
 */
export class PepperRotation {
  readonly #options: PepperRotationOptions;

  constructor(options: PepperRotationOptions) {
    this.#options = options;
  }

  /**
   * Adds the next version, sealed by `kms`, activating `activateInMs` from now. Refuses (CONFLICT) while an
   * earlier rotation has not activated yet, and when a concurrent rotation took the version number.
   */
  async rotate(input: { activateInMs: number; kms: Kms }): Promise<PepperRecord> {
    const { store, clock } = this.#options;
    const { kms } = input;
    const now = clock.now();
    const all = await store.listPeppers();
    const { current } = pepperSchedule(liveOf(all), now);
    const staged = all.find((p) => p.sealedPepper !== null && p.version > current.version);
    if (staged !== undefined) {
      throw new KeywardError(
        "CONFLICT",
        `Pepper version ${staged.version} activates at ${iso(staged.activatesAt)}; rotate again after that.`,
      );
    }
    const version = Math.max(...all.map((p) => p.version)) + 1;
    const name = pepperName(version);
    const pepper = randomBytes(32);
    let record: PepperRecord;
    try {
      record = {
        name,
        version,
        sealedPepper: JSON.stringify(await sealSecret(kms, pepper, name)),
        createdAt: now,
        activatesAt: now + input.activateInMs,
        retiredAt: null,
      };
    } finally {
      pepper.fill(0);
    }
    if (!(await store.addPepper(record))) {
      throw new KeywardError(
        "CONFLICT",
        "Another rotation added this pepper version first; see pepper-status.",
      );
    }
    return record;
  }

  /** Every version, with how many keys and tokens still have digests made with it. */
  async status(): Promise<PepperStatus> {
    const { store, clock } = this.#options;
    const [all, usage] = await Promise.all([store.listPeppers(), store.pepperUsage()]);
    const current = pepperSchedule(liveOf(all), clock.now()).current.version;
    const usageOf = (version: number): PepperUsage | undefined => usage.find((u) => u.version === version);
    const versions = all.map((p): PepperVersionStatus => {
      const counts = usageOf(p.version);
      return {
        version: p.version,
        state:
          p.sealedPepper === null
            ? "retired"
            : p.version === current
              ? "current"
              : p.version > current
                ? "staged"
                : "previous",
        createdAt: p.createdAt,
        activatesAt: p.activatesAt,
        retiredAt: p.retiredAt,
        keys: counts?.keys ?? NONE,
        tokens: counts?.tokens ?? NONE,
      };
    });
    const retired = new Set(all.filter((p) => p.sealedPepper === null).map((p) => p.version));
    const total = (rows: PepperUsage[]) => ({
      keys: rows.reduce((n, u) => n + u.keys.active, 0),
      tokens: rows.reduce((n, u) => n + u.tokens.active, 0),
    });
    return {
      current,
      versions,
      pending: total(usage.filter((u) => isPeppered(u) && u.version < current && !retired.has(u.version))),
      stranded: total(usage.filter((u) => retired.has(u.version))),
      imported: { keys: total(usage.filter((u) => !isPeppered(u))).keys },
    };
  }

  /**
   * Destroys an older version's pepper. Refuses the current and staged versions, and (unless `force`) a version
   * that keys or tokens not revoked still use: they would stop verifying. Revoked ones do not count; they are
   * refused either way.
   */
  async retire(version: number, options: { force?: boolean } = {}): Promise<void> {
    const status = await this.status();
    const target = status.versions.find((v) => v.version === version);
    if (target === undefined) throw new KeywardError("NOT_FOUND", `No pepper version ${version} exists.`);
    if (target.state === "retired") {
      throw new KeywardError("CONFLICT", `Pepper version ${version} is retired already.`);
    }
    if (target.state !== "previous") {
      throw new KeywardError(
        "CONFLICT",
        `Pepper version ${version} is the ${target.state} one; only older versions can be retired.`,
      );
    }
    const inUse = target.keys.active + target.tokens.active;
    if (inUse > 0 && options.force !== true) {
      throw new KeywardError(
        "CONFLICT",
        `${target.keys.active} key(s) and ${target.tokens.active} token(s) still use pepper version ${version}: ` +
          "they are re-digested at their next verification. Retiring it now (--force) makes them fail.",
      );
    }
    if (!(await this.#options.store.retirePepper(version, this.#options.clock.now()))) {
      throw new KeywardError("CONFLICT", `Pepper version ${version} is retired already.`);
    }
  }
}

/** Whether these digests were made with a pepper version, not imported as bare SHA-256 digests. */
function isPeppered(usage: PepperUsage): boolean {
  return usage.version !== IMPORTED_PEPPER_VERSION;
}

/** The versions not retired; throws CONFLICT when there is none (a store never started). */
function liveOf(all: readonly PepperRecord[]): PepperRecord[] {
  const live = all.filter((p) => p.sealedPepper !== null);
  if (live.length === 0) {
    throw new KeywardError("CONFLICT", "The store is not initialized yet: start keyward serve once first.");
  }
  return live;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
