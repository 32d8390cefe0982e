import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliTestServer, startCliTestServer } from "../../../test/support/cli-server.js";
import { auditEntry, systemActor } from "../../audit/audit-entry.js";

let cli: CliTestServer;
let client: CliTestServer["client"];
let dir: string;
let projectId: string;
let revokedKeyId: string;
const run = (argv: string[]) => cli.run(argv);

/** Entries appended straight to the store besides those of the API calls: more than one export page. */
const BULK_ENTRIES = 1_050;

beforeAll(async () => {
  cli = await startCliTestServer("audit");
  client = cli.client;
  dir = mkdtempSync(join(tmpdir(), "keyward-audit-cli-files-"));
  const project = await client.createProject({ name: "audit-cli", keyPrefix: "acli" });
  projectId = project.id;
  const key = await client.createKey({ projectId, name: "to revoke" });
  await client.updateKey(key.id, { name: "renamed, with a comma" });
  await client.revokeKey(key.id, { reason: 'said "leaked"' });
  revokedKeyId = key.id;
  const now = Date.now();
  const bulk = Array.from({ length: BULK_ENTRIES }, (_, i) =>
    auditEntry(
      systemActor("bulk test"),
      { action: "test.bulk", target: { type: "test", id: `t${i}` }, projectId: null, diff: { i } },
      now,
    ),
  );
  await cli.server.instance.stores.audit.appendAuditEntries(bulk);
});
afterAll(async () => {
  await cli?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("keyward audit list", () => {
  it("lists entries as JSON and as a table, filtered, and pages with --cursor", async () => {
    const json = await run(["audit", "list", "--target", revokedKeyId, "--order", "oldest", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const page = JSON.parse(json.stdout) as { items: Array<{ action: string; actor: { type: string } }> };
    expect(page.items.map((e) => e.action)).toEqual(["key.created", "key.updated", "key.revoked"]);
    expect(page.items.every((e) => e.actor.type === "token")).toBe(true);

    const table = await run(["audit", "list", "--action", "key.revoked", "--project", projectId]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^SEQ\s+AT\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME\s+SOURCE\s+REQUEST/);
    expect(table.stdout).toContain("key.revoked");
    expect(table.stdout).toContain(revokedKeyId);
    expect(table.stdout).toContain("root");

    const first = await run(["audit", "list", "--limit", "2"]);
    const more = /More: add --cursor (\S+)/.exec(first.stdout);
    expect(more?.[1]).toBeDefined();
    const second = await run(["audit", "list", "--limit", "2", "--cursor", more?.[1] ?? "", "--json"]);
    expect(second.code, second.stderr).toBe(0);
    expect((JSON.parse(second.stdout) as { items: unknown[] }).items).toHaveLength(2);
  });

  it("refuses a bad --order, --limit or --from before asking the server", async () => {
    for (const argv of [
      ["audit", "list", "--order", "sideways"],
      ["audit", "list", "--limit", "1001"],
      ["audit", "list", "--from", "last tuesday"],
    ]) {
      const res = await run(argv);
      expect(res.code, argv.join(" ")).toBe(2);
      expect(res.stderr).toContain("USAGE_ERROR");
    }
  });
});

describe("keyward audit export", () => {
  it("streams every entry as JSON Lines to a file, oldest first, page after page, with progress on stderr", async () => {
    const total = (await client.listAuditEntries({ count: true, limit: 1 })).total ?? 0;
    expect(total).toBeGreaterThan(BULK_ENTRIES);
    const output = join(dir, "audit.jsonl");
    const res = await run(["audit", "export", "--output", output]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe(`Exported ${total} audit entries to ${output} (jsonl).\n`);
    expect(res.stderr).toContain(`audit export: ${total}/${total} done`);
    const lines = readFileSync(output, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(total);
    const seqs = lines.map((line) => (JSON.parse(line) as { seq: number }).seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(total);
    const [newest] = (await client.listAuditEntries({ limit: 1 })).items;
    expect(JSON.parse(lines.at(-1) ?? "")).toEqual(newest);
  });

  it("writes CSV with a header row, quoting, and nested fields as JSON text", async () => {
    const output = join(dir, "audit.csv");
    const res = await run([
      "audit",
      "export",
      "--format",
      "csv",
      "--target",
      revokedKeyId,
      "--output",
      output,
    ]);
    expect(res.code, res.stderr).toBe(0);
    const text = readFileSync(output, "utf8");
    const rows = text.split("\r\n");
    expect(rows[0]).toBe(
      "id,seq,at,actor,action,target,projectId,sourceIp,userAgent,requestId,outcome,diff,prevHash,hash",
    );
    expect(rows).toHaveLength(5); // header, three entries, and the empty string after the last CRLF
    expect(rows[2]).toContain('"{""name"":{""from"":""to revoke"",""to"":""renamed, with a comma""}}"');
    expect(rows[3]).toContain(`,key.revoked,"{""type"":""key"",""id"":""${revokedKeyId}`);
  });

  it("writes JSON Lines to stdout when no --output is given", async () => {
    const res = await run(["audit", "export", "--action", "key.revoked"]);
    expect(res.code, res.stderr).toBe(0);
    const entries = res.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { action: string });
    expect(entries.map((e) => e.action)).toEqual(["key.revoked"]);
  });
});

describe("keyward audit checkpoints and verify", () => {
  it("signs a checkpoint, exports it to a file, and verifies the log against that file", async () => {
    const signed = await run(["audit", "checkpoint", "--json"]);
    expect(signed.code, signed.stderr).toBe(0);
    const checkpoint = JSON.parse(signed.stdout) as { seq: number; kind: string };
    expect(checkpoint.kind).toBe("on_demand");
    const human = await run(["audit", "checkpoint"]);
    expect(human.stdout).toMatch(new RegExp(`^entry\\s+${checkpoint.seq}$`, "m"));

    const file = join(dir, "checkpoints.json");
    const exported = await run(["audit", "checkpoints", "--output", file]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/^Wrote \d+ checkpoints and 1 public keys to /);
    const table = await run(["audit", "checkpoints"]);
    expect(table.stdout).toContain("on_demand");

    const verified = await run(["audit", "verify", "--checkpoints", file, "--json"]);
    expect(verified.code, verified.stderr).toBe(0);
    const verdict = JSON.parse(verified.stdout) as { ok: boolean; entries: number; checkpoints: number };
    expect(verdict).toMatchObject({ ok: true, entries: expect.any(Number) });
    const plain = await run(["audit", "verify"]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^All \d+ entries are intact \(\d+ checkpoints?\)\.\n$/);
  });

  it("exits 1 with checkpoint_mismatch when the kept file holds a forged signature", async () => {
    const file = join(dir, "checkpoints.json");
    const kept = JSON.parse(readFileSync(file, "utf8")) as { checkpoints: Array<{ signature: string }> };
    const forged = join(dir, "forged.json");
    const first = kept.checkpoints[0] as { signature: string };
    first.signature = Buffer.alloc(64, 1).toString("base64");
    writeFileSync(forged, JSON.stringify(kept));
    const res = await run(["audit", "verify", "--checkpoints", forged, "--json"]);
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: false, reason: "checkpoint_mismatch" });
  });

  it("refuses a checkpoint file that is missing or not an export", async () => {
    const missing = await run(["audit", "verify", "--checkpoints", join(dir, "nope.json")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("ENOENT");
    const notJson = join(dir, "not.json");
    writeFileSync(notJson, "checkpoints");
    const bad = await run(["audit", "verify", "--checkpoints", notJson]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("is not JSON");
    writeFileSync(notJson, "[]");
    expect((await run(["audit", "verify", "--checkpoints", notJson])).stderr).toContain(
      "is not a checkpoint export",
    );
  });

  it("names the first modified entry and exits 1 after a row is edited in the database, and 0 once restored", async () => {
    const db = new Database(join(cli.dataDir, "keyward.db"));
    try {
      db.pragma("busy_timeout = 5000");
      const original = (db.prepare("SELECT id, action FROM audit_entries WHERE seq = 2").get() as {
        id: string;
        action: string;
      }) ?? { id: "", action: "" };
      db.prepare("UPDATE audit_entries SET action = 'x' WHERE seq = 2").run();

      const json = await run(["audit", "verify", "--json"]);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual({
        ok: false,
        entries: 2,
        reason: "modified",
        firstBadEntry: { id: original.id, seq: 2, action: "x", at: expect.any(String) },
        detail: "Entry 2 does not match its hash: it was edited.",
        head: { seq: expect.any(Number), hash: expect.any(String) },
      });
      const human = await run(["audit", "verify"]);
      expect(human.code).toBe(1);
      expect(human.stdout).toContain(`The audit log is NOT intact: entry 2 (${original.id}, x at `);
      expect(human.stdout).toContain("was modified.");

      db.prepare("UPDATE audit_entries SET action = ? WHERE seq = 2").run(original.action);
      expect((await run(["audit", "verify"])).code).toBe(0);
    } finally {
      db.close();
    }
  });
});
