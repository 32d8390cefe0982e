import { KeywardClient } from "@keyward/client/keyward-client.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import type { CliIo } from "./io.js";

/** Where HTTP commands go when neither `--url` nor `KEYWARD_URL` says otherwise. */
export const DEFAULT_URL = "http://127.0.0.1:8080";

/**
 * Builds the API client of an HTTP command: the URL from `--url`, `KEYWARD_URL` or the default, the token from
 * `KEYWARD_TOKEN` only (argv is visible to every user of the machine and lands in shell history).
 */
export function clientFromEnv(io: CliIo, url: string | undefined): KeywardClient {
  const token = io.env.KEYWARD_TOKEN;
  if (token === undefined || token.trim() === "") {
    throw new KeywardError(
      "CONFIG_INVALID",
      "KEYWARD_TOKEN is not set; export an admin token (keyward init prints the root token) as KEYWARD_TOKEN.",
    );
  }
  const baseUrl = url ?? (io.env.KEYWARD_URL || DEFAULT_URL);
  return new KeywardClient({ baseUrl, token });
}
