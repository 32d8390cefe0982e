import type { PepperRecord } from "./pepper-store.js";

/** A row of `peppers`. */
export interface PepperRow {
  name: string;
  version: number;
  sealed_pepper: string | null;
  created_at: number;
  activates_at: number;
  retired_at: number | null;
}

export const PEPPER_COLUMNS = "name, version, sealed_pepper, created_at, activates_at, retired_at";

/** Digest counts per pepper version of one table (`keys` or `tokens`), as rows for `foldPepperUsage`. */
export function pepperUsageSql(table: "keys" | "tokens"): string {
  return `SELECT '${table}' AS kind, pepper_version AS version,
      sum(CASE WHEN revoked_at IS NULL THEN 1 ELSE 0 END) AS active,
      sum(CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END) AS revoked
    FROM ${table} GROUP BY pepper_version`;
}

export function toPepper(row: PepperRow): PepperRecord {
  return {
    name: row.name,
    version: Number(row.version),
    sealedPepper: row.sealed_pepper,
    createdAt: Number(row.created_at),
    activatesAt: Number(row.activates_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
  };
}

export function pepperParams(pepper: PepperRecord): unknown[] {
  return [
    pepper.name,
    pepper.version,
    pepper.sealedPepper,
    pepper.createdAt,
    pepper.activatesAt,
    pepper.retiredAt,
  ];
}
