import type { Project } from "@keyward/client/types.js";
import { formatDuration } from "@keyward/core/duration.js";
import { DEFAULT_EXPIRY_NOTICE } from "@keyward/core/key-policies.js";
import type { Field } from "./output.js";
import { showIpAllowlist } from "./show-ip-allowlist.js";

/** The human listing of one project, with its key policies (`-` when a policy is not set). */
export function projectFields(project: Project): Field[] {
  const { policies } = project;
  return [
    ["id", project.id],
    ["name", project.name],
    ["key prefix", project.keyPrefix],
    ["created", project.createdAt],
    ["max lifetime", policies.maxLifetime],
    ["rotation period", policies.rotationPeriod],
    ["inactivity revocation", policies.inactivityRevocation],
    ["expiry notice", policies.expiryNotice ?? `${formatDuration(DEFAULT_EXPIRY_NOTICE)} (default)`],
    ["ip allowlist", showIpAllowlist(project.ipAllowlist, "(any address)")],
    ["time zone", project.timezone],
    ["recoverable keys", project.recoverableKeys ? "yes (a sealed copy of each new key is kept)" : "no"],
    [
      "require 2fa",
      project.require2fa ? "yes (users without two-factor authentication have no role here)" : "no",
    ],
  ];
}
