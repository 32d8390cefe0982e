/** Commander collector of a repeatable option: each use appends its value (`--ip a --ip b` is `[a, b]`). */
export function collectOption(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), text.trim()];
}
