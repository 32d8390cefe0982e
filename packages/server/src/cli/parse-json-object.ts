import { InvalidArgumentError } from "commander";

/** Parses an option value that must be a JSON object (`--meta '{"plan":"pro"}'`); InvalidArgumentError otherwise. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`Expected a JSON object such as '{"plan":"pro"}'.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(
      `Expected a JSON object such as '{"plan":"pro"}', not an array or a scalar.`,
    );
  }
  return value as Record<string, unknown>;
}
