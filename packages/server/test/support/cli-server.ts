import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { KeywardClient } from "@keyward/client/keyward-client.js";
import { runCli } from "../../src/cli/main.js";
import { parseConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { type RunningServer, startServer } from "../../src/server.js";

/** What one CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A real server on a fresh data directory, an SDK client and the CLI pointed at it with the root token. */
export interface CliTestServer {
  server: RunningServer;
  client: KeywardClient;
  /** The server's data directory (its SQLite file is `keyward.db` in it), for tests that tamper with the store. */
  dataDir: string;
  /** Runs `keyward <argv>` in process against the server; `stdin` is what gets piped in (nothing by default). */
  run(argv: string[], stdin?: string): Promise<CliRun>;
  close(): Promise<void>;
}

/** Ends a captured output stream and returns everything written to it, decoded as UTF-8 once (never mid-character). */
export async function readAll(stream: PassThrough): Promise<string> {
  stream.end();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** Starts a server for CLI tests (`name` only labels its data directory). */
export async function startCliTestServer(name: string): Promise<CliTestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), `keyward-${name}-cli-`));
  const config = parseConfig(
    { KEYWARD_DATA_DIR: dataDir, KEYWARD_PORT: "0", KEYWARD_LOG_LEVEL: "silent" },
    { masterKey: randomBytes(32) },
  );
  let rootToken = "";
  const server = await startServer({
    config,
    logger: createLogger(config),
    printRootToken: (t) => {
      rootToken = t;
    },
  });
  const env = { KEYWARD_URL: server.url, KEYWARD_TOKEN: rootToken };
  return {
    server,
    dataDir,
    client: new KeywardClient({ baseUrl: server.url, token: rootToken }),
    async run(argv, stdin) {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const input = Readable.from(stdin === undefined ? [] : [stdin]);
      const code = await runCli(argv, { env, stdout, stderr, stdin: input });
      return { code, stdout: await readAll(stdout), stderr: await readAll(stderr) };
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
