import type { QuotaRefill } from "@keyward/client/types.js";
import { InvalidArgumentError } from "commander";

const SPEC = /^([0-9]{1,13})\/(day|month)$/;

/** Commander parser of `--refill AMOUNT/day` or `AMOUNT/month` (e.g. `5000/month`). */
export function refillOption(text: string): QuotaRefill {
  const match = SPEC.exec(text.trim());
  if (match === null) {
    throw new InvalidArgumentError("Expected AMOUNT/day or AMOUNT/month, e.g. 5000/month.");
  }
  return { amount: Number(match[1]), interval: match[2] === "day" ? "day" : "month" };
}
