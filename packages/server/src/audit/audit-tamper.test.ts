import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AuditEntry, chainAuditEntry } from "@keyward/core/audit-chain.js";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../test/support/manual-clock.js";
import { openTestPostgresStores } from "../../test/support/postgres-test-stores.js";
import { newTestSchema, postgresAvailable, runOnPostgres } from "../../test/support/services.js";
import { parseConfig } from "../config.js";
import { type Instance, openInstance } from "../instance.js";
import { LocalKms } from "../kms/local-kms.js";
import type { Principal } from "../services/principal.js";
import { openSqliteStores } from "../store/sqlite-stores.js";
import type { Stores } from "../store/stores.js";

const ROOT: Principal = {
  tokenId: "tok_root",
  tokenName: "root",
  permissions: ["*"],
  projectIds: null,
  origin: { sourceIp: "198.51.100.4", userAgent: "tamper-test", requestId: "req_tamper" },
};

/** Runs SQL on the database directly, as someone with write access to it (not through Keyward) would. */
type Tamper = (sql: string) => Promise<void>;

interface Backend {
  name: string;
  available: () => Promise<boolean>;
  open(): { stores: Stores; tamper: Tamper; close(): void };
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const BACKENDS: Backend[] = [
  {
    name: "SQLite",
    available: async () => true,
    open() {
      const dir = mkdtempSync(join(tmpdir(), "keyward-audit-tamper-"));
      tempDirs.push(dir);
      const path = join(dir, "keyward.db");
      return {
        stores: openSqliteStores({ path }),
        async tamper(sql) {
          const db = new Database(path);
          try {
            db.exec(sql);
          } finally {
            db.close();
          }
        },
        close() {},
      };
    },
  },
  {
    name: "PostgreSQL",
    available: postgresAvailable,
    open() {
      const schema = newTestSchema();
      return {
        stores: openTestPostgresStores(schema),
        async tamper(sql) {
          await runOnPostgres(`SET search_path TO ${schema}; ${sql}`);
        },
        close() {},
      };
    },
  },
];

/** A SQL string literal. */
function literal(value: string | number | null): string {
  if (value === null) return "NULL";
  if (typeof value === "number") return String(value);
  return `'${value.replaceAll("'", "''")}'`;
}

/** The INSERT a forger writes: an entry with a correct hash, linked after `previous`, but without Keyward's seal. */
function forgedInsert(previous: AuditEntry, seq: number): { sql: string; id: string; hash: string } {
  const forged = chainAuditEntry(
    {
      id: "aud_0000000000000000forged",
      at: previous.at + 1,
      actor: { type: "token", id: "tok_root", name: "root" },
      action: "key.created",
      target: { type: "key", id: "key_0000000000000000forged" },
      projectId: previous.projectId,
      sourceIp: null,
      userAgent: null,
      requestId: null,
      outcome: "success",
      diff: { name: "backdoor" },
    },
    previous,
  );
  const values = [
    seq,
    forged.id,
    forged.at,
    forged.actor.type,
    forged.actor.id,
    forged.actor.name,
    forged.action,
    forged.target?.type ?? null,
    forged.target?.id ?? null,
    forged.projectId,
    null,
    null,
    null,
    forged.outcome,
    JSON.stringify(forged.diff),
    forged.prevHash,
    forged.hash,
  ];
  return {
    id: forged.id,
    hash: forged.hash,
    sql: `INSERT INTO audit_entries (seq, id, at, actor_type, actor_id, actor_name, action, target_type, target_id,
      project_id, source_ip, user_agent, request_id, outcome, diff, prev_hash, hash)
      VALUES (${values.map(literal).join(", ")})`,
  };
}

for (const backend of BACKENDS) {
  const available = await backend.available();
  (available ? describe : describe.skip)(`audit verify on ${backend.name}: tampered rows`, () => {
    let instance: Instance;
    let tamper: Tamper;
    let entries: AuditEntry[];

    beforeEach(async () => {
      const opened = backend.open();
      tamper = opened.tamper;
      const clock = new ManualClock();
      instance = await openInstance({
        config: parseConfig({}, { masterKey: randomBytes(32), logLevel: "silent" }),
        clock,
        stores: opened.stores,
        kms: new LocalKms(randomBytes(32)),
      });
      // Twelve entries of different kinds, a second apart.
      const project = await instance.projects.createProject(ROOT, { name: "tamper" });
      for (let i = 0; i < 5; i += 1) {
        clock.advance(1_000);
        const { record } = await instance.keys.createKey(ROOT, { projectId: project.id, name: `key ${i}` });
        clock.advance(1_000);
        await instance.keys.updateKey(ROOT, record.id, { name: `renamed ${i}` });
      }
      clock.advance(1_000);
      await instance.tokens.createToken(ROOT, { name: "ci", permissions: ["keys:read"] });
      entries = (await instance.audit.listEntries(ROOT, { order: "oldest", limit: 100 })).items;
      expect(entries).toHaveLength(12);
    });

    afterEach(async () => {
      await instance.close();
    });

    const entry = (seq: number): AuditEntry => entries[seq - 1] as AuditEntry;

    it("verifies an untouched log: all entries intact", async () => {
      await instance.audit.checkpoint(ROOT);
      expect(await instance.audit.verify(ROOT)).toMatchObject({ ok: true, entries: 12, checkpoints: 1 });
    });

    it("names an entry edited in place as modified", async () => {
      await tamper(`UPDATE audit_entries SET diff = '{"name":"innocent"}' WHERE seq = 5`);
      expect(await instance.audit.verify(ROOT)).toMatchObject({
        ok: false,
        reason: "modified",
        firstBadEntry: { id: entry(5).id, seq: 5 },
      });
    });

    it("names the entry after a deleted one", async () => {
      await tamper("DELETE FROM audit_entries WHERE seq = 5");
      expect(await instance.audit.verify(ROOT)).toMatchObject({
        ok: false,
        reason: "deleted",
        firstBadEntry: { id: entry(6).id, seq: 6 },
      });
    });

    it("names an entry forged into the middle, with a correct hash and the rows after it renumbered", async () => {
      const forged = forgedInsert(entry(4), 5);
      await tamper(
        `UPDATE audit_entries SET seq = -seq WHERE seq >= 5;
         UPDATE audit_entries SET seq = 1 - seq WHERE seq < 0;
         ${forged.sql}`,
      );
      expect(await instance.audit.verify(ROOT)).toMatchObject({
        ok: false,
        reason: "inserted",
        firstBadEntry: { id: forged.id, seq: 5 },
      });
    });

    it("names an entry forged onto the end, linked and hashed correctly, by its missing seal", async () => {
      const forged = forgedInsert(entry(12), 13);
      await tamper(`${forged.sql}; UPDATE audit_head SET seq = 13, hash = ${literal(forged.hash)}`);
      expect(await instance.audit.verify(ROOT)).toMatchObject({
        ok: false,
        reason: "inserted",
        firstBadEntry: { id: forged.id, seq: 13 },
      });
    });

    it("names the first entry out of place when two are swapped", async () => {
      await tamper(
        `UPDATE audit_entries SET seq = -1 WHERE seq = 5;
         UPDATE audit_entries SET seq = 5 WHERE seq = 6;
         UPDATE audit_entries SET seq = 6 WHERE seq = -1`,
      );
      expect(await instance.audit.verify(ROOT)).toMatchObject({
        ok: false,
        reason: "reordered",
        firstBadEntry: { id: entry(6).id, seq: 5 },
      });
    });

    it("notices the last entries deleted, though every remaining link holds", async () => {
      await tamper("DELETE FROM audit_entries WHERE seq >= 11");
      expect(await instance.audit.verify(ROOT)).toMatchObject({
        ok: false,
        reason: "deleted",
        firstBadEntry: null,
      });
    });

    it("catches a chain rewritten from a modified entry on, hashes recomputed, by the entries' seals", async () => {
      // Rebuild entries 5..12 with a changed entry 5: every hash and link is right again, but not sealed.
      let previous = entry(4);
      const statements: string[] = [];
      for (let seq = 5; seq <= 12; seq += 1) {
        const original = entry(seq);
        const rewritten = chainAuditEntry(
          seq === 5 ? { ...original, diff: { name: "innocent" } } : original,
          previous,
        );
        statements.push(
          `UPDATE audit_entries SET diff = ${literal(JSON.stringify(rewritten.diff))},
             prev_hash = ${literal(rewritten.prevHash)}, hash = ${literal(rewritten.hash)} WHERE seq = ${seq}`,
        );
        previous = rewritten;
      }
      await tamper(statements.join(";\n"));
      expect(await instance.audit.verify(ROOT)).toMatchObject({
        ok: false,
        firstBadEntry: { id: entry(5).id, seq: 5 },
      });
    });

    it("catches a checkpoint whose signature was forged", async () => {
      await instance.audit.checkpoint(ROOT);
      await tamper(`UPDATE audit_checkpoints SET hash = '${"ab".repeat(32)}'`);
      expect(await instance.audit.verify(ROOT)).toMatchObject({ ok: false, reason: "checkpoint_mismatch" });
    });
  });
}
