import { InvalidArgumentError } from "commander";

/** Commander parser of a setting given as `true` or `false` (`--require-2fa false`); InvalidArgumentError otherwise. */
export function booleanOption(text: string): boolean {
  const value = text.trim().toLowerCase();
  if (value === "true") return true;
  if (value === "false") return false;
  throw new InvalidArgumentError("Expected true or false.");
}
