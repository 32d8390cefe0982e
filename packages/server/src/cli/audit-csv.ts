import type { AuditEntry } from "@keyward/client/types.js";

/** The CSV columns of an audit export, in order; actor, target and diff hold JSON text. */
export const AUDIT_CSV_COLUMNS = [
  "id",
  "seq",
  "at",
  "actor",
  "action",
  "target",
  "projectId",
  "sourceIp",
  "userAgent",
  "requestId",
  "outcome",
  "diff",
  "prevHash",
  "hash",
] as const;

/** The header row, CRLF-terminated as RFC 4180 says. */
export function auditCsvHeader(): string {
  return `${AUDIT_CSV_COLUMNS.join(",")}\r\n`;
}

/** One entry as a CSV row: null is an empty field, nested values are JSON text, every field quoted as needed. */
export function auditCsvRow(entry: AuditEntry): string {
  const cells = AUDIT_CSV_COLUMNS.map((column) => {
    const value = entry[column];
    if (value === null) return "";
    return csvField(typeof value === "object" ? JSON.stringify(value) : String(value));
  });
  return `${cells.join(",")}\r\n`;
}

/**
 * Quotes a field per RFC 4180 when it holds a comma, a double quote, CR or LF (quotes doubled inside). Values are
 * written exactly, so an exported row still matches its hash; spreadsheet formula prefixes are not rewritten.
 */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
