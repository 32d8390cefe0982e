/**
 * Commander parser of a `projects update` policy option: an ISO 8601 duration such as P90D, passed on for the
 * server to check, or `none` (null: remove the policy). Wrapped because commander turns a parser's null into "".
 */
export function policyOption(text: string): { value: string | null } {
  const value = text.trim();
  return { value: value === "none" ? null : value };
}
