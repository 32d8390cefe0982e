import type { KeyRateLimit, QuotaRefill, UpdateKeyInput } from "@keyward/client/types.js";
import type { Command } from "commander";
import { collectOption } from "./collect-option.js";
import { integerParser } from "./integer-parser.js";
import { rateLimitOption } from "./rate-limit-option.js";
import { refillOption } from "./refill-option.js";

/** The rate limit, quota and IP allowlist options of `keys create` and `keys update`, as commander parsed them. */
export interface KeyLimitOptions {
  rateLimit?: KeyRateLimit[];
  /** False for `keys update --no-rate-limits` (commander defaults a lone --no- option to true). */
  rateLimits?: boolean;
  /** A balance, or false for `keys update --no-quota`. */
  quota?: number | false;
  refill?: QuotaRefill;
  ip?: string[];
  /** False for `keys update --no-ip-allowlist`. */
  ipAllowlist?: boolean;
}

/** The largest count the API takes for a limit or a quota balance. */
const MAX_COUNT = 1e12;

/** Adds `--rate-limit`, `--quota`, `--refill` and `--ip`, the options `keys create` and `keys update` share. */
export function addKeyLimitOptions(command: Command): Command {
  return command
    .option(
      "--rate-limit <name=limit/window>",
      "a named rate limit, e.g. burst=100/1s or daily=5000/1d (window: 500ms, 1s, 1m, 1h, 1d); repeatable; " +
        "on update the given limits replace all the old ones",
      rateLimitOption,
    )
    .option(
      "--quota <n>",
      "usage quota: the units the key may still use, 0 to 1e12 (default with --refill: the refill amount); " +
        "on update it replaces the quota and its refill whole",
      integerParser(0, MAX_COUNT),
    )
    .option(
      "--refill <amount/interval>",
      "refill the quota to AMOUNT every day or month (in the project's time zone), e.g. 5000/month",
      refillOption,
    )
    .option(
      "--ip <address|cidr>",
      "allow only this IPv4/IPv6 address or CIDR range, e.g. 10.0.0.0/8; repeatable, replaces the old list",
      collectOption,
    );
}

/**
 * The body fields the limit options ask for. `keys update` replaces rate limits and quota whole, so there a
 * `--refill` needs the balance to start from (`--quota`); `keys create` starts a refilling quota full.
 */
export function keyLimitInput(
  options: KeyLimitOptions,
  context: { mode: "create" | "update"; fail: (message: string) => never },
): Pick<UpdateKeyInput, "rateLimits" | "quota" | "ipAllowlist"> {
  const { fail } = context;
  if (options.rateLimits === false && options.rateLimit !== undefined) {
    fail("pass --rate-limit or --no-rate-limits, not both");
  }
  if (options.quota === false && options.refill !== undefined) fail("pass --refill or --no-quota, not both");
  if (options.ipAllowlist === false && options.ip !== undefined) {
    fail("pass --ip or --no-ip-allowlist, not both");
  }
  if (context.mode === "update" && options.refill !== undefined && options.quota === undefined) {
    fail("--refill needs --quota on update: the new quota replaces the balance, so say where it starts");
  }
  let quota: UpdateKeyInput["quota"];
  if (options.quota === false) quota = null;
  else if (options.quota !== undefined || options.refill !== undefined) {
    quota = {
      remaining: options.quota ?? options.refill?.amount ?? 0,
      ...(options.refill === undefined ? {} : { refill: options.refill }),
    };
  }
  return {
    ...(options.rateLimit === undefined ? {} : { rateLimits: options.rateLimit }),
    ...(options.rateLimits === false ? { rateLimits: [] } : {}),
    ...(quota === undefined ? {} : { quota }),
    ...(options.ip === undefined ? {} : { ipAllowlist: options.ip }),
    ...(options.ipAllowlist === false ? { ipAllowlist: null } : {}),
  };
}
