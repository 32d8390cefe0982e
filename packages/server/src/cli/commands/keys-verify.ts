import type { VerifyKeyResult } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";
import { parseList } from "../parse-list.js";
import { readKeyFromStdin } from "../read-key-from-stdin.js";

interface KeysVerifyOptions extends HttpOptions {
  scopes?: string[];
  ip?: string;
  cost?: number;
}

/** `keyward keys verify`: checks the key on stdin; exits 0 when it is valid and 1 when it is not. */
export function registerKeysVerify(keys: Command, ctx: CommandContext): void {
  const command = keys
    .command("verify")
    .description("check the key read from standard input; exit code 0 when valid, 1 when not")
    .option("--scopes <list>", "comma-separated scopes the key must grant", parseList)
    .option(
      "--ip <address>",
      "the caller's IP address (needed when the key or its project has an IP allowlist)",
    )
    .option(
      "--cost <n>",
      "units to take from the key's rate limits and quota, 0 to 1000000 (default: 1)",
      integerParser(0, 1e6),
    )
    // Accept operands only to refuse them with a useful message: a key in argv is visible to other users.
    .allowExcessArguments(true);
  addHttpOptions(command).action(async (options: KeysVerifyOptions, self: Command) => {
    if (self.args.length > 0) {
      command.error(
        'keys verify reads the key from standard input, never from arguments; e.g. printf %s "$KEY" | keyward keys verify',
      );
    }
    const client = clientFromEnv(ctx.io, options.url);
    const key = await readKeyFromStdin(ctx.io);
    const result = await client.verifyKey({
      key,
      ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
      ...(options.ip === undefined ? {} : { ip: options.ip }),
      ...(options.cost === undefined ? {} : { cost: options.cost }),
    });
    ctx.exitCode = result.valid ? 0 : 1;
    const out = new Output(ctx.io);
    if (options.json === true) out.json(result);
    else out.fields(resultFields(result));
  });
}

function resultFields(result: VerifyKeyResult): Array<readonly [string, unknown]> {
  return [
    ["code", result.code],
    ["valid", result.valid],
    ...(result.keyId === undefined
      ? []
      : ([
          ["key", result.keyId],
          ["project", result.projectId],
          ["name", result.name],
          ["owner", result.ownerId],
          ["scopes", result.scopes],
          ["expires", result.expiresAt],
        ] as const)),
    ...(result.missingScopes === undefined ? [] : ([["missing scopes", result.missingScopes]] as const)),
    ...(result.rotationDue === true ? ([["rotation due", "yes"]] as const) : []),
    ...(result.rotation === undefined
      ? []
      : ([
          ["replaced by", result.rotation.replacedBy],
          ["works until", result.rotation.expiresAt],
        ] as const)),
    ...(result.rateLimits ?? []).map(
      (limit) =>
        [
          "rate limit",
          `${limit.name} ${limit.remaining} of ${limit.limit} left, resets at ${limit.resetAt}`,
        ] as const,
    ),
    ...(result.quota === undefined ? [] : ([["quota left", result.quota.remaining]] as const)),
    ...(result.degraded === true
      ? ([["degraded", "yes: the rate limiter was unreachable and this request was not counted"]] as const)
      : []),
  ];
}
