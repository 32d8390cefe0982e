import { InvalidArgumentError } from "commander";
import { MAX_GRACE_PERIOD_SECONDS } from "../services/key-service.js";
import { parseDuration } from "./duration.js";

/**
 * Commander parser of `keys rotate --grace`: a duration such as 30s, 15m, 2h, 7d or 1w, or 0 (the old key stops
 * working at once), into whole seconds of at most 30 days. Throws InvalidArgumentError otherwise.
 */
export function gracePeriodOption(text: string): number {
  const value = text.trim();
  if (value === "0") return 0;
  const ms = parseDuration(value);
  if (ms === null) {
    throw new InvalidArgumentError(
      "Expected a duration such as 30s, 15m, 2h, 7d or 1w, or 0 to end the old key at once.",
    );
  }
  // Every unit is a whole number of seconds, so this division is exact.
  const seconds = ms / 1_000;
  if (seconds > MAX_GRACE_PERIOD_SECONDS) {
    throw new InvalidArgumentError("The grace period must be at most 30 days (30d).");
  }
  return seconds;
}
