import { InvalidArgumentError } from "commander";
import { parseDuration } from "./duration.js";

/** How an instant option reads in `--help`. */
export const INSTANT_HELP = "an RFC 3339 date-time, or how long ago (30m, 24h, 7d)";

/** Parses an instant option: an RFC 3339 date-time as given, or a duration ago (`24h`) as the instant it names. */
export function parseInstant(text: string): string {
  const ago = parseDuration(text);
  if (ago !== null) return new Date(Date.now() - ago).toISOString();
  if (/^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text))) return text;
  throw new InvalidArgumentError(`Expected ${INSTANT_HELP}.`);
}
