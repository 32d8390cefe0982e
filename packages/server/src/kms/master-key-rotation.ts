import { KeywardError } from "@keyward/core/keyward-error.js";
import type { SealedValueStore } from "../store/sealed-value-store.js";
import type { Kms } from "./kms.js";
import {
  countSealedByVersion,
  type RewrapProgress,
  type RewrapReport,
  rewrapSealedValues,
} from "./rewrap-sealed-values.js";
import { SEALED_COLUMNS, type SealedColumnSpec } from "./sealed-columns.js";

/** A master key version and how many sealed values still need it. */
export interface MasterKeyVersionStatus {
  keyId: string;
  current: boolean;
  sealedValues: number;
}

/** What `keyward kms status` shows. */
export interface MasterKeyStatus {
  versions: MasterKeyVersionStatus[];
  /** Sealed values under a version this Kms does not hold (unreadable until it is given back). */
  unknownVersions: { keyId: string; sealedValues: number }[];
  /** Values under older versions: a rotation to finish with `kms rotate --resume`. */
  pending: number;
}

/** Master key rotation over every sealed value of a store (`keyward kms rotate|status|retire`). */
export class MasterKeyRotation {
  readonly #store: SealedValueStore;
  readonly #kms: Kms;
  readonly #columns: readonly SealedColumnSpec[];

  constructor(options: { store: SealedValueStore; kms: Kms; columns?: readonly SealedColumnSpec[] }) {
    this.#store = options.store;
    this.#kms = options.kms;
    this.#columns = options.columns ?? SEALED_COLUMNS;
  }

  /**
   * Makes a new master key version (unless `resume`, which finishes an interrupted run under the current one) and
   * moves every sealed value to it. Servers sharing the keyring follow the new version by themselves.
   */
  async rotate(
    options: { resume?: boolean; onProgress?(progress: RewrapProgress): void } = {},
  ): Promise<RewrapReport & { previousKeyId: string }> {
    const previousKeyId = this.#kms.keyId;
    if (options.resume !== true) await this.#kms.createKeyVersion();
    const report = await rewrapSealedValues({
      store: this.#store,
      kms: this.#kms,
      columns: this.#columns,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
    return { ...report, previousKeyId };
  }

  async status(): Promise<MasterKeyStatus> {
    const counts = await countSealedByVersion({ store: this.#store, columns: this.#columns });
    const versions = (await this.#kms.keyVersions()).map((v) => ({
      ...v,
      sealedValues: counts.get(v.keyId) ?? 0,
    }));
    const held = new Set(versions.map((v) => v.keyId));
    return {
      versions,
      unknownVersions: [...counts]
        .filter(([keyId]) => !held.has(keyId))
        .map(([keyId, sealedValues]) => ({ keyId, sealedValues })),
      pending: versions.filter((v) => !v.current).reduce((sum, v) => sum + v.sealedValues, 0),
    };
  }

  /** Forgets an old version; CONFLICT while any sealed value still needs it. */
  async retire(keyId: string): Promise<void> {
    const counts = await countSealedByVersion({ store: this.#store, columns: this.#columns });
    const using = counts.get(keyId) ?? 0;
    if (using > 0) {
      throw new KeywardError(
        "CONFLICT",
        `${using} sealed value(s) still use master key version ${keyId}; run \`keyward kms rotate --resume\` first.`,
      );
    }
    await this.#kms.retireKeyVersion(keyId);
  }
}
