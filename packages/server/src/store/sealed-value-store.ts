/**
 * A column that holds envelope-sealed values (JSON `SealedSecret`s): which table, which columns, and, for a table
 * that mixes sealed and plain rows, which row ids are sealed.
 */
export interface SealedColumn {
  table: string;
  idColumn: string;
  valueColumn: string;
  /** Only these ids hold sealed values (instance_settings also holds plain settings). */
  onlyIds?: readonly string[];
}

/** A compare-and-swap of one row's sealed value. */
export interface SealedReplacement {
  id: string;
  expected: string;
  next: string;
}

/** One sealed value and the id of its row. */
export interface SealedRow {
  id: string;
  value: string;
}

/**
 * Walks and replaces sealed values, for master key rotation (`keyward kms rotate`). Each replacement is a
 * compare-and-swap on the whole value, so a value a server re-sealed meanwhile is never overwritten with a stale
 * one. Passes `sealed-value-store.conformance.ts` on every backend.
 */
export interface SealedValueStore {
  /** Sealed values of `column` with an id after `afterId` (all when null), in id order, at most `limit`. */
  readSealedValues(column: SealedColumn, afterId: string | null, limit: number): Promise<SealedRow[]>;
  countSealedValues(column: SealedColumn): Promise<number>;
  /**
   * Replaces each row's value with `next` only if it still is `expected`, all in one transaction; returns how
   * many it replaced (a row whose value changed meanwhile is left as it is).
   */
  replaceSealedValues(column: SealedColumn, replacements: readonly SealedReplacement[]): Promise<number>;
}
