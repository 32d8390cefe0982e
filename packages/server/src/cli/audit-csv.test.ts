import type { AuditEntry } from "@keyward/client/types.js";
import { describe, expect, it } from "vitest";
import { auditCsvHeader, auditCsvRow, csvField } from "./audit-csv.js";

const entry: AuditEntry = {
  id: "aud_1",
  seq: 2,
  at: "2026-11-28T09:00:00.000Z",
  actor: { type: "token", id: "tok_1", name: 'ops, "night"' },
  action: "key.updated",
  target: { type: "key", id: "key_1" },
  projectId: null,
  sourceIp: "203.0.113.7",
  userAgent: "curl/8.5\r\nInjected: yes",
  requestId: "req_1",
  outcome: "success",
  diff: { name: { from: "a", to: "b,c" } },
  prevHash: "a".repeat(64),
  hash: "b".repeat(64),
};

/** A minimal RFC 4180 reader, to show that what the writer quotes reads back as written. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i += 1;
    } else field += c;
  }
  return rows;
}

describe("audit CSV", () => {
  it("quotes only fields with commas, quotes or line breaks, doubling quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("=1+1")).toBe("=1+1");
  });

  it("writes a header and one CRLF row per entry that reads back field for field, nested values as JSON", () => {
    const rows = parseCsv(auditCsvHeader() + auditCsvRow(entry));
    expect(rows).toHaveLength(2);
    const [header, row] = rows as [string[], string[]];
    const record = Object.fromEntries(header.map((name, i) => [name, row[i]]));
    expect(record).toEqual({
      id: "aud_1",
      seq: "2",
      at: entry.at,
      actor: JSON.stringify(entry.actor),
      action: "key.updated",
      target: JSON.stringify(entry.target),
      projectId: "",
      sourceIp: "203.0.113.7",
      userAgent: "curl/8.5\r\nInjected: yes",
      requestId: "req_1",
      outcome: "success",
      diff: JSON.stringify(entry.diff),
      prevHash: entry.prevHash,
      hash: entry.hash,
    });
  });
});
