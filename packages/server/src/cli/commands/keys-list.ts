import type { Key } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { keyStatus } from "../key-status.js";
import { Output } from "../output.js";

interface KeysListOptions extends HttpOptions {
  project?: string;
  owner?: string;
  limit?: number;
  cursor?: string;
}

/** `keyward keys list`: keys in creation order, filtered by project and owner, one page at a time. */
export function registerKeysList(keys: Command, ctx: CommandContext): void {
  addHttpOptions(
    keys
      .command("list")
      .description("list keys (records only; keys themselves are never stored)")
      .option("--project <id>", "only keys of this project")
      .option("--owner <id>", "only keys of this owner")
      .option("--limit <n>", "page size, 1 to 100 (default: 50)", integerParser(1, 100))
      .option("--cursor <cursor>", "the next-page cursor a previous list printed"),
  ).action(async (options: KeysListOptions) => {
    const client = clientFromEnv(ctx.io, options.url);
    const page = await client.listKeys({
      projectId: options.project,
      ownerId: options.owner,
      limit: options.limit,
      cursor: options.cursor,
    });
    const out = new Output(ctx.io);
    if (options.json === true) {
      out.json(page);
      return;
    }
    const now = Date.now();
    out.table<Key>(
      page.items,
      [
        { header: "id", cell: (k) => k.id },
        { header: "project", cell: (k) => k.projectId },
        { header: "name", cell: (k) => k.name },
        { header: "owner", cell: (k) => k.ownerId },
        { header: "start", cell: (k) => k.start },
        { header: "status", cell: (k) => keyStatus(k, now) },
        { header: "scopes", cell: (k) => k.scopes },
        { header: "expires", cell: (k) => k.expiresAt },
      ],
      "No keys.",
    );
    if (page.nextCursor !== null) out.line(`More: add --cursor ${page.nextCursor}`);
  });
}
