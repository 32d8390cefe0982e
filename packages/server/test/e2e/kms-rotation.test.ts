import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealSecret } from "../../src/kms/envelope.js";
import { LocalKms } from "../../src/kms/local-kms.js";
import { MASTER_KEY_FILE, readMasterKeyring } from "../../src/kms/master-key.js";
import { webhookSecretContext } from "../../src/services/webhook-service.js";
import {
  isServerBuilt,
  KEYWARD_BIN,
  requestJson,
  type ServerProcess,
  startServerProcess,
} from "../support/server-process.js";

const built = isServerBuilt();
const VALUES = 100_000;

/** Runs the CLI to its end; resolves with its exit code and output. */
function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [KEYWARD_BIN, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

(built ? describe : describe.skip)("keyward kms rotate beside a running server (the built server)", () => {
  let dataDir: string;
  let server: ServerProcess | undefined;
  let token: string;
  let key: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "keyward-e2e-kms-"));
    server = await startServerProcess({ KEYWARD_DATA_DIR: dataDir, KEYWARD_SCHEDULER_ENABLED: "false" });
    token = server.rootToken ?? "";
    const created = await requestJson<{ key: string }>(server.url, token, "POST", "/v1/keys", {
      name: "load",
    });
    key = created.body.key;
    // 100,000 sealed values, written straight into the database (as many webhooks, disabled so no event goes to
    // them), sealed under the server's own master key.
    const kms = new LocalKms(readMasterKeyring(join(dataDir, MASTER_KEY_FILE)));
    const db = new Database(join(dataDir, "keyward.db"));
    try {
      const project = db.prepare("SELECT id FROM projects LIMIT 1").get() as { id: string };
      const insert = db.prepare(
        `INSERT INTO webhooks (id, project_id, url, description, events, enabled, created_at, updated_at, sealed_secret)
         VALUES (?, ?, 'https://hooks.example.com/x', NULL, '["*"]', 0, 0, 0, ?)`,
      );
      const rows: [string, string][] = [];
      for (let i = 0; i < VALUES; i += 1) {
        const id = `wh_bulk${String(i).padStart(15, "0")}`;
        const sealed = await sealSecret(kms, Buffer.from(`whsec_bulk_${i}`), webhookSecretContext(id));
        rows.push([id, JSON.stringify(sealed)]);
      }
      db.transaction(() => {
        for (const [id, sealed] of rows) insert.run(id, project.id, sealed);
      })();
    } finally {
      db.close();
    }
  }, 120_000);

  afterAll(async () => {
    server?.child.kill("SIGTERM");
    await new Promise((resolve) => server?.child.once("exit", resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("rewraps 100,000 values while verification runs, survives being killed, and resumes to the end", async () => {
    if (server === undefined) throw new Error("no server");
    const env = { KEYWARD_DATA_DIR: dataDir };
    const url = server.url;
    // Verification load for the whole rotation: four clients in a loop.
    let running = true;
    const outcomes = new Map<string, number>();
    const load = Array.from({ length: 4 }, async () => {
      while (running) {
        const res = await requestJson<{ code: string }>(url, token, "POST", "/v1/keys/verify", { key });
        const outcome = res.status === 200 ? res.body.code : `HTTP ${res.status}`;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    });

    const status = async () => {
      const run = runCli(["kms", "status", "--json"], env);
      const { code, stdout } = await run.done;
      expect(code).toBe(0);
      return JSON.parse(stdout) as {
        versions: { keyId: string; current: boolean; sealedValues: number }[];
        pending: number;
      };
    };

    // The first run is killed once it has moved some values, not all.
    const first = runCli(["kms", "rotate", "--json"], env);
    const db = new Database(join(dataDir, "keyward.db"), { readonly: true });
    let moved = 0;
    try {
      const original = JSON.parse(
        (
          db.prepare("SELECT sealed_secret AS s FROM webhooks WHERE id = 'wh_bulk000000000000000'").get() as {
            s: string;
          }
        ).s,
      ).kid as string;
      const count = db.prepare("SELECT count(*) AS n FROM webhooks WHERE sealed_secret NOT LIKE ?");
      const started = Date.now();
      while (moved < 20_000) {
        if (Date.now() - started > 60_000) throw new Error(`the rotation moved only ${moved} values in 60 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        moved = (count.get(`%"kid":"${original}"%`) as { n: number }).n;
      }
    } finally {
      db.close();
    }
    first.child.kill("SIGKILL");
    expect((await first.done).signal).toBe("SIGKILL");

    const midway = await status();
    expect(midway.versions).toHaveLength(2);
    expect(midway.pending).toBeGreaterThan(0);
    expect(midway.pending).toBeLessThan(VALUES);

    const resumed = await runCli(["kms", "rotate", "--resume", "--json"], env).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout) as { rewrapped: number; alreadyCurrent: number; keyId: string };
    expect(report.rewrapped + report.alreadyCurrent).toBeGreaterThanOrEqual(VALUES);
    const done = await status();
    expect(done.pending).toBe(0);
    expect(done.versions.find((v) => v.current)?.keyId).toBe(report.keyId);

    // The server follows the new version: it seals a new webhook secret under it, and opens the rotated pepper.
    const webhook = await requestJson(url, token, "POST", "/v1/webhooks", {
      url: "https://hooks.example.com/after-rotation",
      events: ["key.created"],
    });
    expect(webhook.status).toBe(201);
    running = false;
    await Promise.all(load);
    console.info(`verifications during the rotation: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect([...outcomes.keys()]).toEqual(["VALID"]);
    expect(outcomes.get("VALID")).toBeGreaterThan(100);

    const old = done.versions.find((v) => !v.current)?.keyId ?? "";
    const retired = await runCli(["kms", "retire", old, "--json"], env).done;
    expect(retired.code, retired.stderr).toBe(0);
    // A restart opens everything with the current version alone.
    server.child.kill("SIGTERM");
    await new Promise((resolve) => server?.child.once("exit", resolve));
    server = await startServerProcess({ KEYWARD_DATA_DIR: dataDir, KEYWARD_SCHEDULER_ENABLED: "false" });
    const after = await requestJson<{ code: string }>(server.url, token, "POST", "/v1/keys/verify", { key });
    expect(after.body.code).toBe("VALID");
  }, 240_000);
});
