import { existsSync, realpathSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { type Command, InvalidArgumentError } from "commander";
import type { CopyableDatabase, StoreCopyReport } from "../../store/store-copy.js";
import type { CommandContext } from "../command-context.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";
import { ProgressBar } from "../progress-bar.js";
import { parseStoreUrl, type StoreUrl, scrubSecrets } from "./store-copy-url.js";

interface StoreCopyOptions {
  from: string;
  to: string;
  batchSize?: number;
  json?: boolean;
}

/**
 * The SQLite file inside a data directory, when a `sqlite:` path names the directory: `DATABASE_FILE` of
 * instance.ts, which is not imported here because it loads every driver.
 */
const DATABASE_FILE = "keyward.db";

/**
 * `keyward store copy --from URL --to URL`: moves a whole installation between stores (SQLite and PostgreSQL,
 * either way), with progress on stderr and a verification pass whose report decides the exit code: 0 when every
 * table's count and digest match, 1 otherwise. Passwords in URLs are never printed.
 */
export function registerStoreCopy(program: Command, ctx: CommandContext): void {
  const store = program
    .command("store")
    .description("move a whole installation from one store to another (SQLite, PostgreSQL)");
  store
    .command("copy")
    .description(
      "copy every record from one store into a new, empty one, then verify counts and digests of both sides",
    )
    // Parsed in the action, not by commander: its error for a bad value repeats the value, password included.
    .requiredOption("--from <url>", "the store to copy: sqlite:PATH or postgres://USER@HOST/DB[?schema=NAME]")
    .requiredOption("--to <url>", "the empty store to fill: same forms as --from")
    .option(
      "--batch-size <n>",
      "rows per read and per target transaction (default 1000)",
      integerParser(1, 100_000),
    )
    .option("--json", "print the verification report as one line of JSON")
    .action(async (options: StoreCopyOptions) => {
      await copyCommand(options, ctx);
    });
}

/** The URL of `flag`, or a usage error naming the flag and not the value. */
function storeUrlOf(flag: string, value: string): StoreUrl {
  try {
    return parseStoreUrl(value);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new InvalidArgumentError(`${flag} ${error.message}`);
    throw error;
  }
}

async function copyCommand(options: StoreCopyOptions, ctx: CommandContext): Promise<void> {
  const { io } = ctx;
  const from = resolveSqlite(storeUrlOf("--from", options.from), "source");
  const to = resolveSqlite(storeUrlOf("--to", options.to), "target");
  if (sameStore(from, to)) {
    throw new InvalidArgumentError("--from and --to name the same store; copy into a new, empty one.");
  }
  for (const [flag, url] of [
    ["--from", from],
    ["--to", to],
  ] as const) {
    if (url.hasPassword) {
      io.stderr.write(
        `warning: the ${flag} URL holds a password, which other users of this machine can read in the process list; leave it out and set PGPASSWORD or use ~/.pgpass.\n`,
      );
    }
  }
  // Loaded here, not at the top: commands that only call the API start faster without the drivers.
  const { copyStore } = await import("../../store/store-copy.js");
  const source = await openStore(from, "source");
  try {
    const target = await openStore(to, "target");
    try {
      io.stderr.write(`Copying ${from.display} to ${to.display}.\n`);
      const bar = new ProgressBar({ stream: io.stderr });
      let report: StoreCopyReport;
      try {
        report = await copyStore({
          from: source,
          to: target,
          ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
          onProgress: (p) => bar.update(`${p.phase} ${p.table}`, p.copied, p.total),
        });
      } catch (error) {
        throw scrubError(error, [from, to]);
      } finally {
        bar.finish();
      }
      printReport(report, { from, to, json: options.json === true }, ctx);
      ctx.exitCode = report.ok ? 0 : 1;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

/** A `sqlite:` path naming a data directory means its `keyward.db`; the source file must exist. */
function resolveSqlite(url: StoreUrl, side: "source" | "target"): StoreUrl {
  if (url.kind !== "sqlite") return url;
  let path = url.path;
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, DATABASE_FILE);
  if (side === "source" && !existsSync(path)) {
    throw new KeywardError("NOT_FOUND", `The source SQLite file ${path} does not exist.`);
  }
  return { ...url, path, display: `sqlite:${path}` };
}

function sameStore(a: StoreUrl, b: StoreUrl): boolean {
  if (a.kind === "sqlite" && b.kind === "sqlite") return canonicalPath(a.path) === canonicalPath(b.path);
  if (a.kind === "postgres" && b.kind === "postgres") {
    const [x, y] = [new URL(a.connectionString), new URL(b.connectionString)];
    return x.host === y.host && x.pathname === y.pathname && a.schema === b.schema;
  }
  return false;
}

function canonicalPath(path: string): string {
  return existsSync(path) ? realpathSync(path) : resolve(path);
}

/** Opens a store and checks that it answers, so a failure says which side it is about. */
async function openStore(url: StoreUrl, side: "source" | "target"): Promise<CopyableDatabase> {
  if (url.kind === "sqlite") {
    const { SqliteDatabase } = await import("../../store/sqlite-database.js");
    try {
      return new SqliteDatabase({ path: url.path });
    } catch (error) {
      throw new KeywardError("STORE_UNAVAILABLE", `The ${side} store ${url.display} cannot be opened.`, {
        cause: error,
      });
    }
  }
  const { PostgresDatabase } = await import("../../store/postgres-database.js");
  // The copy's reads run in one snapshot transaction while batches are written: two connections per side are
  // enough; a long batch may take longer than a request, hence the generous statement timeout.
  const database = new PostgresDatabase({
    connectionString: url.connectionString,
    schema: url.schema,
    maxConnections: 4,
    statementTimeoutMs: 300_000,
  });
  try {
    await database.query("SELECT 1");
  } catch (error) {
    await database.close().catch(() => {});
    const reason = error instanceof KeywardError && error.cause instanceof Error ? error.cause : error;
    const detail = reason instanceof Error ? `: ${scrubSecrets(url, reason.message)}` : "";
    throw new KeywardError(
      "STORE_UNAVAILABLE",
      `The ${side} store ${url.display} cannot be reached${detail}.`,
      {
        cause: error,
      },
    );
  }
  return database;
}

/** A driver's message may quote its connection settings: keep every password out of what is printed. */
function scrubError(error: unknown, urls: readonly StoreUrl[]): unknown {
  if (!(error instanceof Error)) return error;
  let message = error.message;
  for (const url of urls) message = scrubSecrets(url, message);
  if (message === error.message) return error;
  return error instanceof KeywardError
    ? new KeywardError(error.code, message, { cause: error.cause, retryable: error.retryable })
    : new KeywardError("INTERNAL_ERROR", message);
}

function printReport(
  report: StoreCopyReport,
  where: { from: StoreUrl; to: StoreUrl; json: boolean },
  ctx: CommandContext,
): void {
  const out = new Output(ctx.io);
  if (where.json) {
    out.json({ from: where.from.display, to: where.to.display, ...report });
    return;
  }
  out.table(
    report.tables,
    [
      { header: "table", cell: (t) => t.name },
      { header: "rows", cell: (t) => t.rows },
      { header: "target rows", cell: (t) => t.targetRows },
      { header: "sha-256", cell: (t) => `${t.digest.slice(0, 16)}…` },
      { header: "verified", cell: (t) => (t.verified ? "yes" : "NO") },
    ],
    "No tables.",
  );
  out.line();
  if (report.ok) {
    out.line(
      `Copied ${report.totalRows} rows from ${where.from.display} to ${where.to.display}; counts and digests match.`,
    );
    out.line(
      "Serve the copy with the source's master key (KEYWARD_MASTER_KEY or master.key): the pepper and webhook secrets are sealed with it.",
    );
    return;
  }
  const failed = report.tables.filter((t) => !t.verified).map((t) => t.name);
  out.line(
    `Verification FAILED for ${failed.join(", ")}: the target differs from the source (was the source written to during the copy?). Do not use the target; empty it and copy again.`,
  );
}
