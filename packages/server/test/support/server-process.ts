import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The built `keyward` bin, which runs `packages/server/dist`. */
export const KEYWARD_BIN = fileURLToPath(new URL("../../bin/keyward.js", import.meta.url));

/**
 * Whether `packages/server/dist` exists (`npm ci` and `npm test` build it); warns once when it does not, and
 * throws under CI=true, where the end-to-end tests must run.
 */
export function isServerBuilt(): boolean {
  if (existsSync(fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url)))) return true;
  const message =
    "packages/server/dist is absent: run `npm run build` (npm ci does it) to run the end-to-end tests";
  if (process.env.CI === "true") throw new Error(`CI=true requires the end-to-end tests: ${message}`);
  console.warn(`\n*** SKIPPING end-to-end server tests: ${message} ***\n`);
  return false;
}

/** A `keyward serve` process started by {@link startServerProcess}. */
export interface ServerProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The root token, when this process initialized the data directory; null otherwise. */
  rootToken: string | null;
  /** Every JSON line the process wrote to stdout so far (pino log lines included), in order. */
  lines: Record<string, unknown>[];
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Sends SIGTERM and resolves with the exit code once the process has exited. */
  stop(): Promise<number | null>;
  /** Sends SIGKILL (no shutdown code runs) and resolves once the process has exited. */
  kill(): Promise<void>;
}

/** Starts `keyward serve --port 0 --json` with `env` (and PATH) and resolves once it listens. */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [KEYWARD_BIN, "serve", "--port", "0", "--json"], {
    env: { PATH: process.env.PATH ?? "", KEYWARD_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = async (name: NodeJS.Signals): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
    return child.exitCode;
  };
  return new Promise((resolve, reject) => {
    let rootToken: string | null = null;
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        parsed = { unparsed: line };
      }
      lines.push(parsed);
      if (typeof parsed.rootToken === "string") rootToken = parsed.rootToken;
      // `{"url": ...}` alone is the CLI's line; a log line always has a `msg`.
      if (typeof parsed.url === "string" && parsed.msg === undefined) {
        resolve({
          child,
          url: parsed.url,
          rootToken,
          lines,
          stderr: () => stderr,
          stop: () => signal("SIGTERM"),
          kill: async () => {
            await signal("SIGKILL");
          },
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`keyward serve exited with ${code}: ${stderr}`)));
  });
}

/** A JSON response: its status and parsed body (null when empty). */
export interface JsonResponse<T> {
  status: number;
  body: T;
}

/** Sends a JSON request with a bearer token to a running server. Network errors reject, as fetch's do. */
export async function requestJson<T = Record<string, unknown>>(
  baseUrl: string,
  token: string,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
): Promise<JsonResponse<T>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text === "" ? null : JSON.parse(text)) as T };
}
