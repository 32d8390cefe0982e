import type { KeyRateLimit } from "@keyward/client/types.js";
import { InvalidArgumentError } from "commander";
import { parseWindowMs } from "./rate-limit-window.js";

const SPEC = /^([A-Za-z0-9_.:-]{1,64})=([0-9]{1,13})\/(.+)$/;

/**
 * Commander collector of the repeatable `--rate-limit name=LIMIT/WINDOW` (e.g. `burst=100/1s`, `daily=5000/1d`):
 * appends the parsed limit to the ones before it. Throws InvalidArgumentError for text of another shape; the
 * server checks the ranges.
 */
export function rateLimitOption(text: string, previous: KeyRateLimit[] | undefined): KeyRateLimit[] {
  const match = SPEC.exec(text.trim());
  const windowMs = match?.[3] === undefined ? null : parseWindowMs(match[3]);
  if (match === null || windowMs === null) {
    throw new InvalidArgumentError(
      "Expected name=LIMIT/WINDOW, e.g. burst=100/1s: a name of letters, digits and _ . : -, a whole number, " +
        "and a window such as 500ms, 1s, 1m, 1h or 1d.",
    );
  }
  return [...(previous ?? []), { name: match[1] ?? "", limit: Number(match[2]), windowMs }];
}
