import type { CliIo } from "./io.js";

/** A column of a human table: its header and how to get one row's cell. */
export interface Column<T> {
  header: string;
  cell: (row: T) => unknown;
}

/** One `label  value` line of a human record listing. */
export type Field = readonly [label: string, value: unknown];

const GAP = "  ";

/**
 * Writes a command's result to stdout: one line of compact JSON for scripts, or aligned text for people. Human
 * text escapes control and bidirectional-override characters, so a stored name cannot drive the terminal.
 */
export class Output {
  readonly #io: CliIo;

  constructor(io: CliIo) {
    this.#io = io;
  }

  /** Writes `value` as one line of JSON. */
  json(value: unknown): void {
    this.#io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Writes a line of text as is; pass only text the CLI wrote itself. */
  line(text = ""): void {
    this.#io.stdout.write(`${text}\n`);
  }

  /** Writes labelled values, one per line, values aligned. */
  fields(fields: readonly Field[]): void {
    const width = Math.max(0, ...fields.map(([label]) => label.length));
    for (const [label, value] of fields)
      this.line(`${label.padEnd(width)}${GAP}${showValue(value)}`.trimEnd());
  }

  /**
   * Writes one page of a list: as JSON (items and `nextCursor`), or as a table followed by how to get the next
   * page when there is one.
   */
  page<T>(
    page: { items: readonly T[]; nextCursor: string | null },
    json: boolean,
    columns: readonly Column<T>[],
    empty: string,
  ): void {
    if (json) {
      this.json(page);
      return;
    }
    this.table(page.items, columns, empty);
    if (page.nextCursor !== null) this.line(`More: add --cursor ${page.nextCursor}`);
  }

  /** Writes rows under upper-case headers, columns aligned; `empty` instead when there are no rows. */
  table<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): void {
    if (rows.length === 0) {
      this.line(empty);
      return;
    }
    const cells = [
      columns.map((c) => c.header.toUpperCase()),
      ...rows.map((row) => columns.map((c) => showValue(c.cell(row)))),
    ];
    const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]?.length ?? 0)));
    for (const line of cells) {
      this.line(
        line
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join(GAP)
          .trimEnd(),
      );
    }
  }
}

/** How a value reads in human output: `-` for null or an empty list, lists comma-separated, objects as JSON. */
function showValue(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (Array.isArray(value)) return value.length === 0 ? "-" : value.map(showValue).join(", ");
  if (typeof value === "object") return escapeText(JSON.stringify(value));
  if (typeof value === "string") return value === "" ? '""' : escapeText(value);
  return String(value);
}

function escapeText(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const unsafe =
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069);
    out += unsafe ? `\\u${code.toString(16).padStart(4, "0")}` : char;
  }
  return out;
}
