import { KeywardError } from "@keyward/core/keyward-error.js";
import type { SealedReplacement, SealedValueStore } from "../store/sealed-value-store.js";
import { rewrapSecret, type SealedSecret } from "./envelope.js";
import type { Kms } from "./kms.js";
import type { SealedColumnSpec } from "./sealed-columns.js";

/** Values read per store call. */
const PAGE = 500;
/** Passes over the columns while a concurrent writer keeps winning compare-and-swaps. */
const MAX_PASSES = 5;

/** What {@link rewrapSealedValues} did. */
export interface RewrapReport {
  /** Values read. */
  visited: number;
  /** Values moved to the current master key version. */
  rewrapped: number;
  /** Values that were already under it (done by an earlier, interrupted run, or sealed since). */
  alreadyCurrent: number;
  /** The current version they are all under now. */
  keyId: string;
}

/** How many values there are to walk, and how far a run got (for a progress bar). */
export interface RewrapProgress {
  total: number;
  visited: number;
}

function parseSealed(value: string, where: string): SealedSecret {
  try {
    return JSON.parse(value) as SealedSecret;
  } catch (error) {
    throw new KeywardError("DECRYPTION_FAILED", `The sealed value of ${where} is not readable.`, {
      cause: error,
    });
  }
}

/**
 * Moves every sealed value's data key to the KMS's current master key version: only `kid` and `dek` change, the
 * payload stays as it is. Each value is swapped on its own (compare-and-swap), so the run can be stopped at any
 * point and run again — values already moved are skipped — and servers keep reading and writing meanwhile: a
 * value a server re-sealed during the run is left as the server wrote it (under the current version).
 */
export async function rewrapSealedValues(options: {
  store: SealedValueStore;
  kms: Kms;
  columns: readonly SealedColumnSpec[];
  onProgress?(progress: RewrapProgress): void;
}): Promise<RewrapReport> {
  const { store, kms, columns } = options;
  let total = 0;
  for (const column of columns) total += await store.countSealedValues(column);
  const report: RewrapReport = { visited: 0, rewrapped: 0, alreadyCurrent: 0, keyId: kms.keyId };
  for (let pass = 0; pass < MAX_PASSES; pass += 1) {
    let lost = 0;
    for (const column of columns) {
      for (let after: string | null = null; ; ) {
        const rows = await store.readSealedValues(column, after, PAGE);
        const replacements: SealedReplacement[] = [];
        for (const row of rows) {
          const sealed = parseSealed(row.value, `${column.table} ${row.id}`);
          if (pass === 0) report.visited += 1;
          if (sealed.kid === kms.keyId) {
            if (pass === 0) report.alreadyCurrent += 1;
            continue;
          }
          const moved = await rewrapSecret(kms, sealed, column.contextOf(row.id));
          replacements.push({ id: row.id, expected: row.value, next: JSON.stringify(moved) });
        }
        // One transaction per page; a value a server changed since it was read is not replaced (lost).
        const replaced = await store.replaceSealedValues(column, replacements);
        report.rewrapped += replaced;
        lost += replacements.length - replaced;
        if (pass === 0) options.onProgress?.({ total, visited: report.visited });
        const last = rows.at(-1);
        if (last === undefined || rows.length < PAGE) break;
        after = last.id;
      }
    }
    // A value changed under the run (re-sealed by a server): the next pass looks at it again.
    if (lost === 0) return report;
  }
  throw new KeywardError(
    "CONFLICT",
    "Sealed values kept changing while they were being rewrapped; run `keyward kms rotate` again.",
    { retryable: true },
  );
}

/** How many sealed values each master key version holds, per column. */
export async function countSealedByVersion(options: {
  store: SealedValueStore;
  columns: readonly SealedColumnSpec[];
}): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const column of options.columns) {
    for (let after: string | null = null; ; ) {
      const rows = await options.store.readSealedValues(column, after, PAGE);
      for (const row of rows) {
        const { kid } = parseSealed(row.value, `${column.table} ${row.id}`);
        counts.set(kid, (counts.get(kid) ?? 0) + 1);
      }
      const last = rows.at(-1);
      if (last === undefined || rows.length < PAGE) break;
      after = last.id;
    }
  }
  return counts;
}
