import { KeywardError } from "@keyward/core/keyward-error.js";
import type { CliIo } from "./io.js";

// Every valid key is at most 113 characters; anything much longer is not a key, so stop reading.
const MAX_INPUT_BYTES = 1024;

/** Reads the key to verify from standard input, trimmed: keys never go in argv, where other users can see them. */
export async function readKeyFromStdin(io: CliIo): Promise<string> {
  if (io.stdin.isTTY === true) io.stderr.write("Paste the key, then press Enter and Ctrl-D:\n");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
    size += bytes.length;
    if (size > MAX_INPUT_BYTES) {
      throw new KeywardError(
        "VALIDATION_ERROR",
        `Standard input is longer than ${MAX_INPUT_BYTES} bytes; no key is.`,
      );
    }
    chunks.push(bytes);
  }
  const key = Buffer.concat(chunks).toString("utf8").trim();
  if (key === "") {
    throw new KeywardError(
      "VALIDATION_ERROR",
      'No key on standard input; pipe it in, e.g. printf %s "$KEY" | keyward keys verify.',
    );
  }
  return key;
}
