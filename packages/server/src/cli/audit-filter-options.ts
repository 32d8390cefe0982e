import type { ListAuditEntriesOptions } from "@keyward/client/types.js";
import type { Command } from "commander";
import { INSTANT_HELP, parseInstant } from "./instant-option.js";

/** The filter options `audit list` and `audit export` share. */
export interface AuditFilterOptions {
  actor?: string;
  action?: string;
  target?: string;
  project?: string;
  from?: string;
  to?: string;
}

/** Adds `--actor --action --target --project --from --to` to an audit command. */
export function addAuditFilterOptions(command: Command): Command {
  return command
    .option("--actor <id>", "only entries by this actor (a token id, or keyward for the system)")
    .option("--action <action>", "only entries of this action, such as key.revoked")
    .option("--target <id>", "only entries about this key, token, project, webhook or alert id")
    .option("--project <id>", "only entries of this project")
    .option("--from <when>", `only entries at or after: ${INSTANT_HELP}`, parseInstant)
    .option("--to <when>", `only entries before (exclusive): ${INSTANT_HELP}`, parseInstant);
}

/** The filters as the SDK takes them. */
export function auditFiltersOf(options: AuditFilterOptions): ListAuditEntriesOptions {
  return {
    actorId: options.actor,
    action: options.action,
    targetId: options.target,
    projectId: options.project,
    from: options.from,
    to: options.to,
  };
}
