/**
 * How an IP allowlist reads in human output: its entries, `whenNull` when there is no list, and a plain warning
 * for an empty list, which refuses every address (a bare `-` would read as "no restriction").
 */
export function showIpAllowlist(
  list: readonly string[] | null,
  whenNull: string,
): string | readonly string[] {
  if (list === null) return whenNull;
  return list.length === 0 ? "(empty: every address is refused)" : list;
}
