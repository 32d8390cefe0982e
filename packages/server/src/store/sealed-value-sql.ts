import type { SealedColumn } from "./sealed-value-store.js";
import { quoteIdentifier } from "./store-copy-tables.js";

/**
 * The SQL of a sealed column's page read, count and compare-and-swap replacement, in one dialect. Table and column
 * names come only from the fixed catalogue of sealed columns, and are quoted regardless. Ids compare in byte order
 * on both dialects (PostgreSQL's `COLLATE "C"`), so a page cursor means the same everywhere.
 */
export function sealedValueSql(column: SealedColumn, dialect: "sqlite" | "postgres") {
  let n = 0;
  const param = (): string => (dialect === "sqlite" ? "?" : `$${++n}`);
  const table = quoteIdentifier(column.table);
  const id = quoteIdentifier(column.idColumn);
  const byteOrder = dialect === "postgres" ? ` COLLATE "C"` : "";
  const value = quoteIdentifier(column.valueColumn);
  const onlyIds = column.onlyIds ?? [];
  const only = () => (onlyIds.length === 0 ? "" : ` AND ${id} IN (${onlyIds.map(() => param()).join(", ")})`);

  n = 0;
  const read = `SELECT ${id} AS id, ${value} AS value FROM ${table}
    WHERE ${id}${byteOrder} > ${param()}${only()} AND ${value} IS NOT NULL
    ORDER BY ${id}${byteOrder} LIMIT ${param()}`;
  n = 0;
  const count = `SELECT count(*) AS n FROM ${table} WHERE ${value} IS NOT NULL${only()}`;
  n = 0;
  const replace = `UPDATE ${table} SET ${value} = ${param()} WHERE ${id} = ${param()} AND ${value} = ${param()}`;
  return {
    read,
    readParams: (afterId: string | null, limit: number) => [afterId ?? "", ...onlyIds, limit],
    count,
    countParams: () => [...onlyIds],
    replace,
    replaceParams: (rowId: string, expected: string, next: string) => [next, rowId, expected],
  };
}
