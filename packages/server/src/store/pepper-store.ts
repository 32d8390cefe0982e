/**
 * One version of the server pepper, the HMAC key of every key and token digest. The pepper itself is sealed by
 * the KMS under the version's `name` (the AES-GCM additional data), and gone once the version is retired.
 */
export interface PepperRecord {
  /** `pepper` for version 1 (the name it always had), `pepper.v<N>` after. Also the seal context. */
  name: string;
  version: number;
  /** The sealed pepper (serialized `SealedSecret`); null once retired. */
  sealedPepper: string | null;
  createdAt: number;
  /** From this instant on, new digests use this version (the newest version whose instant has come). */
  activatesAt: number;
  retiredAt: number | null;
}

/** How many keys and tokens have digests made with one pepper version. */
export interface PepperUsage {
  version: number;
  keys: DigestCounts;
  tokens: DigestCounts;
}

/** Digests of one pepper version: of records that still verify (not revoked), and of revoked ones. */
export interface DigestCounts {
  active: number;
  revoked: number;
}

/** A compare-and-swap of one record's digest: made again with another pepper version during verification. */
export interface Redigest {
  id: string;
  /** The digest it must still have; a record changed meanwhile (another node got there first) is left alone. */
  expected: Buffer;
  digest: Buffer;
  pepperVersion: number;
}

/**
 * The versions of the server pepper and the digests made with them, for pepper rotation. Every implementation
 * passes `pepper-store.conformance.ts`.
 */
export interface PepperStore {
  /** Every version, retired ones included, oldest first. Empty before the store is initialized. */
  listPeppers(): Promise<PepperRecord[]>;
  /** Adds a version; false (and no change) when its version number or name is taken (a concurrent rotation). */
  addPepper(pepper: PepperRecord): Promise<boolean>;
  /** Drops a version's sealed pepper for good; false when no such version exists or it is retired already. */
  retirePepper(version: number, nowMs: number): Promise<boolean>;
  /** Digest counts per pepper version, of keys and of tokens, in version order (versions with none omitted). */
  pepperUsage(): Promise<PepperUsage[]>;
  /** Applies each swap whose record still has `expected`, in one transaction; returns how many it applied. */
  redigestKeys(swaps: readonly Redigest[]): Promise<number>;
  redigestTokens(swaps: readonly Redigest[]): Promise<number>;
}

/** The name (and seal context) of the pepper's first version, which is also the name it had before versions. */
export const FIRST_PEPPER_NAME = "pepper";

/** The name of a pepper version: its row's id and the additional data its sealed value is bound to. */
export function pepperName(version: number): string {
  return version === 1 ? FIRST_PEPPER_NAME : `${FIRST_PEPPER_NAME}.v${version}`;
}

/** Folds per-version count rows of keys and tokens into one list, in version order. */
export function foldPepperUsage(
  rows: readonly { kind: "keys" | "tokens"; version: number; active: number; revoked: number }[],
): PepperUsage[] {
  const byVersion = new Map<number, PepperUsage>();
  for (const row of rows) {
    let usage = byVersion.get(row.version);
    if (usage === undefined) {
      usage = { version: row.version, keys: { active: 0, revoked: 0 }, tokens: { active: 0, revoked: 0 } };
      byVersion.set(row.version, usage);
    }
    usage[row.kind] = { active: Number(row.active), revoked: Number(row.revoked) };
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}
