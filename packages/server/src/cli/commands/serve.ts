import type { Command } from "commander";
import { parseConfig } from "../../config.js";
import type { CommandContext } from "../command-context.js";
import { integerParser } from "../integer-parser.js";
import type { CliIo } from "../io.js";
import { Output } from "../output.js";

interface ServeOptions {
  port?: number;
  host?: string;
  dataDir?: string;
  insecureHttp?: boolean;
  json?: boolean;
}

/** `keyward serve`: runs the HTTP API until SIGINT or SIGTERM, then closes it cleanly. */
export function registerServe(program: Command, ctx: CommandContext): void {
  program
    .command("serve")
    .description("run the HTTP API (initializes an empty data directory and prints its root token once)")
    .option(
      "--port <port>",
      "port to listen on, 0 for any free port (default: $KEYWARD_PORT, else 8080)",
      integerParser(0, 65535),
    )
    .option("--host <host>", "address to listen on (default: $KEYWARD_HOST, else 127.0.0.1)")
    .option("--data-dir <dir>", "data directory (default: $KEYWARD_DATA_DIR, else ./.keyward)")
    .option(
      "--insecure-http",
      "allow plain HTTP on a non-loopback --host, behind a TLS-terminating proxy; warns at every start " +
        "(default: $KEYWARD_INSECURE_HTTP; serve HTTPS with $KEYWARD_TLS_CERT and $KEYWARD_TLS_KEY instead)",
    )
    .option("--json", 'print {"rootToken":"..."} (when created) and {"url":"..."} as JSON lines on stdout')
    .action(async (options: ServeOptions) => {
      const { io } = ctx;
      const out = new Output(io);
      const { env, overrides } = flagsOverEnv(io.env, options);
      const config = parseConfig(env, overrides);
      // Log lines go to the CLI's stdout, so an in-process run (a test) captures them too.
      // Loaded here, not at the top: every other command starts faster without Fastify, pino and SQLite.
      const [{ createLogger }, { startServer }] = await Promise.all([
        import("../../logger.js"),
        import("../../server.js"),
      ]);
      const logger = createLogger(config, io.stdout);
      const server = await startServer({
        config,
        logger,
        // Printed the moment it exists: if listening fails next, the store is initialized and this is the only copy.
        printRootToken: (token) => {
          if (options.json === true) out.json({ rootToken: token });
          else io.stderr.write(rootTokenBanner(token));
        },
      });
      const stopping = waitForShutdown(io.signal);
      // SIGHUP reloads the certificate (a listener also replaces Node's default of exiting on SIGHUP).
      const onHangup = () => void server.reloadTls();
      if (config.tls !== null) process.on("SIGHUP", onHangup);
      if (options.json === true) out.json({ url: server.url });
      else io.stderr.write(`Keyward is listening on ${server.url} (Ctrl-C to stop).\n`);
      const reason = await stopping;
      process.off("SIGHUP", onHangup);
      if (reason === "SIGTERM" && config.shutdownDelayMs > 0) {
        // Orchestrators send SIGTERM and then stop routing: keep serving (readyz 503) until they have.
        logger.info(
          { delayMs: config.shutdownDelayMs },
          "draining: /readyz answers 503 until the node closes",
        );
        server.beginDrain();
        await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      }
      if (options.json !== true) io.stderr.write(`Received ${reason}; shutting down.\n`);
      await server.close();
    });
}

/** The settings `serve`'s flags replace. */
interface ServeOverrides {
  port?: number;
  host?: string;
  dataDir?: string;
  insecureHttp?: boolean;
}

/** Flags win over the environment; a flag also hides the variable it replaces, so a bad one cannot fail the run. */
function flagsOverEnv(
  env: CliIo["env"],
  options: ServeOptions,
): { env: CliIo["env"]; overrides: ServeOverrides } {
  const merged: Record<string, string | undefined> = { ...env };
  const overrides: ServeOverrides = {};
  if (options.port !== undefined) {
    merged.KEYWARD_PORT = undefined;
    overrides.port = options.port;
  }
  if (options.host !== undefined) overrides.host = options.host;
  if (options.dataDir !== undefined) overrides.dataDir = options.dataDir;
  if (options.insecureHttp === true) {
    merged.KEYWARD_INSECURE_HTTP = undefined;
    overrides.insecureHttp = true;
  }
  return { env: merged, overrides };
}

function rootTokenBanner(token: string): string {
  const rule = "=".repeat(78);
  return [
    rule,
    "ROOT TOKEN: shown ONCE. It will NOT be shown again. Store it now (e.g. in a secret manager):",
    "",
    `    ${token}`,
    "",
    "Use it with the CLI:  export KEYWARD_TOKEN=<the token above>",
    rule,
    "",
  ].join("\n");
}

/** Resolves with the signal's name on the first SIGINT or SIGTERM (or when `signal` aborts). */
function waitForShutdown(signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    const stop = (reason: string) => {
      // Removing our listeners restores Node's default, so a second Ctrl-C during shutdown still ends the process.
      process.off("SIGINT", onInterrupt);
      process.off("SIGTERM", onTerminate);
      signal?.removeEventListener("abort", onAbort);
      resolve(reason);
    };
    const onInterrupt = () => stop("SIGINT");
    const onTerminate = () => stop("SIGTERM");
    const onAbort = () => stop("a stop request");
    process.once("SIGINT", onInterrupt);
    process.once("SIGTERM", onTerminate);
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}
