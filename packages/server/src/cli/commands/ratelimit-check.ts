import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";
import { windowOption } from "../window-option.js";

/** Exit code of `ratelimit check` when the identifier is over its limit: an answer, not an error (1) or misuse (2). */
export const LIMITED_EXIT_CODE = 3;

interface RatelimitCheckOptions extends HttpOptions {
  namespace: string;
  identifier: string;
  limit: number;
  window: number;
  cost?: number;
}

/** `keyward ratelimit check`: takes one request (or `--cost`) from an identifier's limit; exit 0 when allowed, 3 when limited. */
export function registerRatelimitCheck(ratelimit: Command, ctx: CommandContext): void {
  addHttpOptions(
    ratelimit
      .command("check")
      .description(
        `count a request against a limit that is not tied to a key (logins, signups, per IP); exit code 0 when ` +
          `allowed, ${LIMITED_EXIT_CODE} when limited`,
      )
      .requiredOption("--namespace <name>", "what is limited, e.g. login (letters, digits and _ . : -)")
      .requiredOption("--identifier <id>", "who is limited, e.g. a user id or an IP address")
      .requiredOption("--limit <n>", "requests allowed per window, 1 to 1e12", integerParser(1, 1e12))
      .requiredOption(
        "--window <window>",
        "the sliding window: 500ms, 1s, 1m, 1h or 1d, at most 30d",
        windowOption,
      )
      .option(
        "--cost <n>",
        "units this request takes, 0 to 1000000 (default: 1; 0 only reads)",
        integerParser(0, 1e6),
      ),
  ).action(async (options: RatelimitCheckOptions) => {
    const result = await clientFromEnv(ctx.io, options.url).ratelimit({
      namespace: options.namespace,
      identifier: options.identifier,
      limit: options.limit,
      windowMs: options.window,
      ...(options.cost === undefined ? {} : { cost: options.cost }),
    });
    ctx.exitCode = result.success ? 0 : LIMITED_EXIT_CODE;
    const out = new Output(ctx.io);
    if (options.json === true) {
      out.json(result);
      return;
    }
    out.fields([
      ["result", result.success ? "allowed" : "limited"],
      ["remaining", `${result.remaining} of ${result.limit}`],
      ["resets", result.resetAt],
      ...(result.overridden === true
        ? ([["overridden", "yes: an override set this identifier's limit"]] as const)
        : []),
      ...(result.degraded === true
        ? ([["degraded", "yes: the rate limiter was unreachable and this request was not counted"]] as const)
        : []),
    ]);
  });
}
