import { readFile } from "node:fs/promises";
import type { AuditVerification, VerifyAuditLogOptions } from "@keyward/client/types.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

interface AuditVerifyOptions extends HttpOptions {
  checkpoints?: string;
}

/** Exit code of `audit verify` when the log is not intact. */
export const AUDIT_BROKEN_EXIT_CODE = 1;

/** The server reads the whole log to verify it: minutes on a large one, far over the client's default. */
const VERIFY_TIMEOUT_MS = 30 * 60_000;

/** Most checkpoints one verification takes (the server's limit); a larger file is cut to its newest ones. */
const MAX_CHECKPOINTS = 10_000;

/**
 * `keyward audit verify [--checkpoints FILE]`: checks the hash chain and the checkpoints, and names the first
 * entry modified, deleted, inserted or reordered. Exits 1 when the log is not intact.
 */
export function registerAuditVerify(audit: Command, ctx: CommandContext): void {
  addHttpOptions(
    audit
      .command("verify")
      .description(
        "check the audit log's hash chain and signed checkpoints; exits 1 and names the first bad entry if it " +
          "was tampered with",
      )
      .option(
        "--checkpoints <file>",
        "also check against checkpoints kept elsewhere (a file `keyward audit checkpoints --output` wrote)",
      ),
  ).action(async (options: AuditVerifyOptions) => {
    const client = clientFromEnv(ctx.io, options.url);
    const against =
      options.checkpoints === undefined ? undefined : await readCheckpointFile(options.checkpoints, ctx);
    const verdict = await client.verifyAuditLog({
      timeoutMs: VERIFY_TIMEOUT_MS,
      ...(against === undefined ? {} : { checkpoints: against }),
    });
    const out = new Output(ctx.io);
    if (options.json === true) out.json(verdict);
    else for (const line of describeVerdict(verdict)) out.line(line);
    if (!verdict.ok) ctx.exitCode = AUDIT_BROKEN_EXIT_CODE;
  });
}

/** The verdict in words: one line when intact, the first bad entry and what was found otherwise. */
export function describeVerdict(verdict: AuditVerification): string[] {
  const checkpoints = (n: number) => `${n} checkpoint${n === 1 ? "" : "s"}`;
  if (verdict.ok) return [`All ${verdict.entries} entries are intact (${checkpoints(verdict.checkpoints)}).`];
  const bad = verdict.firstBadEntry;
  const headline =
    bad === null
      ? `The audit log is NOT intact (${verdict.reason}).`
      : `The audit log is NOT intact: entry ${bad.seq} (${bad.id}, ${bad.action} at ${bad.at}) was ${
          REASON_WORDS[verdict.reason]
        }.`;
  return [headline, verdict.detail];
}

const REASON_WORDS: Record<Extract<AuditVerification, { ok: false }>["reason"], string> = {
  modified: "modified",
  deleted: "preceded by deleted entries",
  inserted: "inserted",
  reordered: "moved (reordered)",
  checkpoint_mismatch: "contradicted by a checkpoint",
};

type CheckpointFile = NonNullable<VerifyAuditLogOptions["checkpoints"]>;

/** Reads a checkpoint export; keeps its newest checkpoints when it holds more than one verification takes. */
async function readCheckpointFile(path: string, ctx: CommandContext): Promise<CheckpointFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    if ((error as { code?: unknown }).code !== undefined) throw error;
    throw new KeywardError("VALIDATION_ERROR", `${path} is not JSON; expected a checkpoint export.`);
  }
  const file = parsed as Partial<CheckpointFile> | null;
  if (
    typeof file !== "object" ||
    file === null ||
    !Array.isArray(file.checkpoints) ||
    !Array.isArray(file.publicKeys)
  ) {
    throw new KeywardError(
      "VALIDATION_ERROR",
      `${path} is not a checkpoint export; expected {"publicKeys": [...], "checkpoints": [...]}.`,
    );
  }
  let checkpoints = file.checkpoints;
  if (checkpoints.length > MAX_CHECKPOINTS) {
    // Each checkpoint vouches for the whole chain up to it: the newest ones cover the most.
    checkpoints = [...checkpoints].sort((a, b) => b.seq - a.seq).slice(0, MAX_CHECKPOINTS);
    ctx.io.stderr.write(
      `note: ${path} holds ${file.checkpoints.length} checkpoints; checking against the newest ${MAX_CHECKPOINTS}.\n`,
    );
  }
  return { publicKeys: file.publicKeys, checkpoints };
}
