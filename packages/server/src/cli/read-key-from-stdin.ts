import type { CliIo } from "./io.js";
import { readSecretFromStdin } from "./read-secret-from-stdin.js";

/** Reads the key to verify from standard input, trimmed: keys never go in argv, where other users can see them. */
export async function readKeyFromStdin(io: CliIo): Promise<string> {
  return readSecretFromStdin(io, { what: "key", example: 'printf %s "$KEY" | keyward keys verify' });
}
