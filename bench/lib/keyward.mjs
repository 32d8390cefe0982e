// Starting the built Keyward server for a benchmark, and talking to it.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, ROOT, spawnNode, waitForHttp } from "./processes.mjs";

const CLI_BIN = join(ROOT, "packages/server/bin/keyward.js");
const CLI_MAIN = join(ROOT, "packages/server/dist/cli/main.js");
const FALLBACK_LAUNCHER = join(ROOT, "bench/keyward-server.mjs");
const ROOT_TOKEN_PATTERN = /\bkwr_[0-9A-Za-z]{28,92}\b/;

/** The environment for a server child, without inherited NODE_OPTIONS. */
export function childEnv(extra) {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * Starts the built Keyward server on a fresh data directory: `keyward init --json` then `keyward serve` when the
 * CLI is built, otherwise bench/keyward-server.mjs (the same startServer composition from dist). Returns the
 * process handle, its URL, the root token and which launcher ran.
 */
export async function startKeyward(cpu, { env: extraEnv = {}, nodeFlags = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "keyward-bench-"));
  const port = await freePort();
  const env = childEnv({
    KEYWARD_DATA_DIR: dataDir,
    KEYWARD_PORT: String(port),
    KEYWARD_HOST: "127.0.0.1",
    KEYWARD_LOG_LEVEL: "warn",
    ...extraEnv,
  });
  let rootToken = null;
  let args = [FALLBACK_LAUNCHER];
  let launcher = "bench/keyward-server.mjs (startServer from packages/server/dist; CLI not built)";
  if (process.env.BENCH_SERVER_DIST) {
    launcher = `bench/keyward-server.mjs with BENCH_SERVER_DIST=${process.env.BENCH_SERVER_DIST}`;
  } else if (existsSync(CLI_BIN) && existsSync(CLI_MAIN)) {
    try {
      const out = execFileSync(process.execPath, [CLI_BIN, "init", "--json"], { env, cwd: ROOT });
      rootToken = out.toString("utf8").match(ROOT_TOKEN_PATTERN)?.[0] ?? null;
    } catch (error) {
      process.stderr.write(
        `keyward init --json failed; reading the root token from serve instead: ${error}\n`,
      );
    }
    args = [CLI_BIN, "serve"];
    launcher = "packages/server/bin/keyward.js serve";
  }
  const server = spawnNode({ args: [...nodeFlags, ...args], env, cpu, label: "keyward" });
  const url = `http://127.0.0.1:${port}`;
  try {
    const exitedEarly = server.exit.then((status) => {
      throw new Error(`keyward exited (${JSON.stringify(status)}) before it was ready:\n${server.output()}`);
    });
    await Promise.race([waitForHttp(`${url}/healthz`), exitedEarly]);
    rootToken ??= await server.waitForOutput((text) => text.match(ROOT_TOKEN_PATTERN)?.[0], 5_000);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    name: "keyward",
    server,
    pid: server.pid,
    url,
    rootToken,
    launcher,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs JSON with a bearer token; returns status, content type and body text. */
export async function postJson(url, body, token) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    text: await response.text(),
  };
}

/** PATCHes JSON with a bearer token; returns the status and body text. */
export async function patchJson(url, body, token) {
  const response = await fetch(url, {
    method: "PATCH",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}
