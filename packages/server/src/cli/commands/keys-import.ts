import { readFile } from "node:fs/promises";
import type { ImportKeyInput, ImportKeysResult } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

interface KeysImportOptions extends HttpOptions {
  project: string;
  file: string;
  migrationId?: string;
}

/** Keys sent per request: the server's limit. */
const BATCH = 1000;
/** The migration id when neither the option nor the file names one. */
const DEFAULT_MIGRATION_ID = "keyward-cli";

/**
 * `keyward keys import --project P --file F.json`: imports keys from another system by the SHA-256 of their
 * plaintexts (POST /v1/keys/import, 1000 per request). The file holds an array of keys, or
 * `{"migrationId": ..., "keys": [...]}`; each key is `{"hash": ..., ...the fields of keys create}`.
 */
export function registerKeysImport(keys: Command, ctx: CommandContext): void {
  const command = keys
    .command("import")
    .description(
      "import keys from another system (e.g. an Unkey export) by the SHA-256 of their plaintexts; they keep " +
        "verifying with their original plaintexts",
    )
    .requiredOption("--project <id>", "the project the keys go to")
    .requiredOption(
      "--file <path>",
      'a JSON file: [{"hash": "<sha256 hex or base64>", "ownerId": ..., "scopes": [...]}, ...] or {"migrationId", "keys"}',
    )
    .option(
      "--migration-id <id>",
      `the migration's id (default: the file's migrationId, else ${DEFAULT_MIGRATION_ID})`,
    );
  addHttpOptions(command).action(async (options: KeysImportOptions) => {
    const file = await readImportFile(options.file, (message) => command.error(message));
    const migrationId = options.migrationId ?? file.migrationId ?? DEFAULT_MIGRATION_ID;
    const client = clientFromEnv(ctx.io, options.url);
    const result: ImportKeysResult = { migrated: [], failed: [] };
    for (let start = 0; start < file.keys.length; start += BATCH) {
      const batch = await client.importKeys({
        projectId: options.project,
        migrationId,
        keys: file.keys.slice(start, start + BATCH),
      });
      result.migrated.push(...batch.migrated);
      result.failed.push(...batch.failed);
    }
    const out = new Output(ctx.io);
    if (options.json === true) {
      out.json(result);
      return;
    }
    out.line(
      `Imported ${result.migrated.length} ${result.migrated.length === 1 ? "key" : "keys"} (migration ${migrationId}); ${result.failed.length} failed.`,
    );
    for (const failure of result.failed) out.line(`  ${failure.hash}: ${failure.reason}`);
  });
}

/** The keys (and migration id) of an import file; a file that is not one is a usage error. */
async function readImportFile(
  path: string,
  fail: (message: string) => never,
): Promise<{ migrationId?: string; keys: ImportKeyInput[] }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    fail(`cannot read ${path} as JSON: ${(error as Error).message}`);
  }
  const body = Array.isArray(parsed) ? { keys: parsed } : (parsed as Record<string, unknown> | null);
  const keys = body?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every(isKeyEntry)) {
    fail(`${path} must hold a non-empty array of keys, each an object with a "hash" string`);
  }
  const migrationId = body?.migrationId;
  if (migrationId !== undefined && typeof migrationId !== "string")
    fail(`${path}: migrationId must be a string`);
  return { keys, ...(migrationId === undefined ? {} : { migrationId }) };
}

function isKeyEntry(value: unknown): value is ImportKeyInput {
  return (
    typeof value === "object" && value !== null && typeof (value as { hash?: unknown }).hash === "string"
  );
}
