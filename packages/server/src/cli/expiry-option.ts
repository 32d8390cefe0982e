import { parseExpiry } from "./parse-expiry.js";

/**
 * Commander parser of `--expires`. The result is wrapped because commander turns a parser's null into "", and
 * null (`never`) is a meaningful answer here.
 */
export function expiryOption(text: string): { expiresAt: string | null } {
  return { expiresAt: parseExpiry(text, Date.now()) };
}
