import { createHash, type Hash } from "node:crypto";
import type { CanonicalRow, CanonicalValue, CopyTable } from "./store-copy-tables.js";

/**
 * SHA-256 over a table's rows in primary-key order, serialized canonically so both dialects give the same digest
 * for the same data: a first line `["table","column",...]`, then one line per row, a JSON array whose values are
 * JSON strings (text), decimal integers, `true`/`false`, lower-case hex strings (bytes) or `null`.
 */
export class TableDigest {
  readonly #hash: Hash = createHash("sha256");
  #rows = 0;

  constructor(table: CopyTable) {
    this.#hash.update(`${JSON.stringify([table.name, ...table.columns.map((c) => c.name)])}\n`);
  }

  /** Adds the next row, in primary-key order. */
  add(row: CanonicalRow): void {
    this.#hash.update(`[${row.map(serializeValue).join(",")}]\n`);
    this.#rows += 1;
  }

  /** How many rows were added. */
  get rows(): number {
    return this.#rows;
  }

  /** The digest in lower-case hex; call once, after the last row. */
  digest(): string {
    return this.#hash.digest("hex");
  }
}

function serializeValue(value: CanonicalValue): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint" || typeof value === "boolean") return String(value);
  return JSON.stringify(value.toString("hex"));
}
