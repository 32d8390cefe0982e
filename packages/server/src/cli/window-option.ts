import { InvalidArgumentError } from "commander";
import { parseWindowMs } from "./rate-limit-window.js";

/** Commander parser of a rate limit `--window` such as 500ms, 1s, 1m, 1h or 1d, into milliseconds. */
export function windowOption(text: string): number {
  const windowMs = parseWindowMs(text.trim());
  if (windowMs === null) {
    throw new InvalidArgumentError("Expected a window such as 500ms, 1s, 1m, 1h or 1d.");
  }
  return windowMs;
}
