import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { KeywardClient } from "@keyward/client/keyward-client.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../config.js";
import { createLogger } from "../../logger.js";
import { type RunningServer, startServer } from "../../server.js";
import { runCli } from "../main.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function readAll(stream: PassThrough): Promise<string> {
  stream.end();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

let dataDir: string;
let server: RunningServer;
let env: Record<string, string>;
let client: KeywardClient;

async function run(argv: string[]): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const code = await runCli(argv, { env, stdout, stderr, stdin: Readable.from([]) });
  return { code, stdout: await readAll(stdout), stderr: await readAll(stderr) };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "keyward-alerts-cli-"));
  const config = parseConfig(
    { KEYWARD_DATA_DIR: dataDir, KEYWARD_PORT: "0", KEYWARD_LOG_LEVEL: "silent" },
    { masterKey: randomBytes(32) },
  );
  let rootToken = "";
  server = await startServer({
    config,
    logger: createLogger(config),
    printRootToken: (t) => (rootToken = t),
  });
  env = { KEYWARD_URL: server.url, KEYWARD_TOKEN: rootToken };
  client = new KeywardClient({ baseUrl: server.url, token: rootToken });
});
afterAll(async () => {
  await server?.close();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

describe("keyward alerts", () => {
  it("lists alerts as JSON and as a table, filters them, and acknowledges one", async () => {
    const project = await client.createProject({ name: "alerts-cli", keyPrefix: "acli" });
    const canary = await client.createKey({ projectId: project.id, canary: true });
    expect((await client.verifyKey({ key: canary.key, ip: "192.0.2.44" })).code).toBe("NOT_FOUND");
    await server.instance.anomalies.flush();

    const listed = await run(["alerts", "list", "--project", project.id, "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const page = JSON.parse(listed.stdout) as { items: Array<{ id: string; type: string; keyId: string }> };
    expect(page.items.map((a) => [a.type, a.keyId])).toEqual([["canary", canary.id]]);
    const id = page.items[0]?.id ?? "";

    const table = await run(["alerts", "list", "--project", project.id, "--type", "canary", "--open"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(id);
    expect(table.stdout).toContain("canary");
    expect(table.stdout).not.toContain(canary.key);

    const acked = await run(["alerts", "ack", id, "--json"]);
    expect(acked.code, acked.stderr).toBe(0);
    expect(JSON.parse(acked.stdout)).toMatchObject({ id, acknowledgedBy: expect.stringMatching(/^tok_/) });
    const open = await run(["alerts", "list", "--project", project.id, "--open"]);
    expect(open.stdout).toContain("No alerts.");
    const human = await run(["alerts", "ack", id]);
    expect(human.stdout).toContain(id);
  });

  it("refuses --open with --acknowledged, an unknown type, and an unknown alert", async () => {
    const both = await run(["alerts", "list", "--open", "--acknowledged"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("exclude each other");
    expect((await run(["alerts", "list", "--type", "spike"])).code).toBe(2);
    const missing = await run(["alerts", "ack", "alr_0000000000000000000000"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("No alert has this id.");
  });
});
