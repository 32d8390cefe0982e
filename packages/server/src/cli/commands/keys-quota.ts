import type { QuotaAdjustment } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { keyFields } from "../key-fields.js";
import { Output } from "../output.js";

interface KeysQuotaOptions extends HttpOptions {
  set?: number;
  increment?: number;
  decrement?: number;
}

const COUNT = integerParser(0, 1e12);

/** `keyward keys quota ID --set N | --increment N | --decrement N`: changes a key's live quota balance. */
export function registerKeysQuota(keys: Command, ctx: CommandContext): void {
  const command = keys
    .command("quota")
    .description("change a key's quota balance: set it, or add to or take from it (never below 0)")
    .argument("<id>", "key id")
    .option("--set <n>", "set the balance to N", COUNT)
    .option("--increment <n>", "add N to the balance", COUNT)
    .option("--decrement <n>", "take N from the balance (it stops at 0)", COUNT);
  addHttpOptions(command).action(async (id: string, options: KeysQuotaOptions) => {
    const adjustments: QuotaAdjustment[] = [
      ...(options.set === undefined ? [] : [{ set: options.set }]),
      ...(options.increment === undefined ? [] : [{ increment: options.increment }]),
      ...(options.decrement === undefined ? [] : [{ decrement: options.decrement }]),
    ];
    const [adjustment, ...others] = adjustments;
    if (adjustment === undefined || others.length > 0) {
      return command.error("pass exactly one of --set, --increment or --decrement");
    }
    const key = await clientFromEnv(ctx.io, options.url).adjustQuota(id, adjustment);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(key);
    else out.fields(keyFields(key, Date.now()));
  });
}
