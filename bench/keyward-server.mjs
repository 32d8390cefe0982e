// Fallback launcher for the built Keyward server, used by verify-throughput.mjs when the CLI
// (packages/server/dist/cli/main.js) has not been built, or when BENCH_SERVER_DIST points at another build of
// packages/server/dist (to A/B a server change). It runs the same composition as `keyward serve`:
// parseConfig(env) -> createLogger -> startServer (openInstance + createApp + listen).
// Prints `{"rootToken":"..."}` on stdout when it initialized the data directory.
import { pathToFileURL } from "node:url";

const dist = process.env.BENCH_SERVER_DIST
  ? pathToFileURL(`${process.env.BENCH_SERVER_DIST.replace(/\/$/, "")}/`)
  : new URL("../packages/server/dist/", import.meta.url);
const { parseConfig } = await import(new URL("config.js", dist));
const { createLogger } = await import(new URL("logger.js", dist));
const { startServer } = await import(new URL("server.js", dist));

const config = parseConfig(process.env);
const logger = createLogger(config);
const server = await startServer({
  config,
  logger,
  printRootToken: (token) => process.stdout.write(`${JSON.stringify({ rootToken: token })}\n`),
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

async function shutdown() {
  await server.close();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
