import { KeywardError } from "@keyward/core/keyward-error.js";
import type { CliIo } from "./io.js";

// Keys are at most 113 characters and webhook secrets 94; anything much longer is neither, so stop reading.
const MAX_INPUT_BYTES = 1024;

/** What {@link readSecretFromStdin} reads, for its prompt and messages. */
export interface ReadSecretOptions {
  /** What the secret is, e.g. `key` or `webhook secret`. */
  what: string;
  /** A command line that pipes it in, shown when standard input is empty. */
  example: string;
  /** Most bytes to read (default 1024, for keys and webhook secrets; vault secrets take up to 8 KiB). */
  maxBytes?: number;
  /**
   * Keep spaces around the secret and drop only the line ending that ends the input (passwords may begin or end
   * with a space); by default the input is trimmed.
   */
  keepSpaces?: boolean;
}

/**
 * Reads a secret from standard input, trimmed: secrets never go in argv, where other users of the machine can
 * see them and shell history keeps them.
 */
export async function readSecretFromStdin(io: CliIo, options: ReadSecretOptions): Promise<string> {
  if (io.stdin.isTTY === true) io.stderr.write(`Paste the ${options.what}, then press Enter and Ctrl-D:\n`);
  const maxBytes = options.maxBytes ?? MAX_INPUT_BYTES;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
    size += bytes.length;
    if (size > maxBytes) {
      throw new KeywardError(
        "VALIDATION_ERROR",
        `Standard input is longer than ${maxBytes} bytes; no ${options.what} is.`,
      );
    }
    chunks.push(bytes);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  const secret = options.keepSpaces === true ? text.replace(/\r?\n$/, "") : text.trim();
  if (secret === "") {
    throw new KeywardError(
      "VALIDATION_ERROR",
      `No ${options.what} on standard input; pipe it in, e.g. ${options.example}.`,
    );
  }
  return secret;
}
