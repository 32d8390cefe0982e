/** Splits a comma-separated option value (`a,b, c`) into trimmed, non-empty items; `""` is the empty list. */
export function parseList(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}
