import { KeywardClient } from "@keyward/client/keyward-client.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import type { CliIo } from "./io.js";
import { isSessionExpired, readSessionFile, type StoredSession, sessionFilePath } from "./session-file.js";

/** Where HTTP commands go when neither `--url` nor `KEYWARD_URL` says otherwise. */
export const DEFAULT_URL = "http://127.0.0.1:8080";

/** The server an HTTP command talks to and the bearer it sends, with where that bearer came from. */
export type ServerCredentials =
  | { source: "KEYWARD_TOKEN"; baseUrl: string; token: string }
  | { source: "session"; baseUrl: string; token: string; session: StoredSession; sessionFile: string };

/**
 * Builds the API client of an HTTP command from {@link credentialsFromEnv}: never a token from argv, which every
 * user of the machine can see and shell history keeps.
 */
export function clientFromEnv(io: CliIo, url: string | undefined): KeywardClient {
  const { baseUrl, token } = credentialsFromEnv(io, url);
  return new KeywardClient({ baseUrl, token });
}

/**
 * The token of an HTTP command: `KEYWARD_TOKEN` when set (with the URL from `--url`, `KEYWARD_URL` or the
 * default), else the session `keyward login` stored (on the server it was opened on). CONFIG_INVALID when there is
 * neither, when the stored session has ended, or when `--url`/`KEYWARD_URL` names another server than the
 * session's: its secret is sent only where it came from.
 */
export function credentialsFromEnv(
  io: CliIo,
  url: string | undefined,
  nowMs: number = Date.now(),
): ServerCredentials {
  const requestedUrl = url ?? (io.env.KEYWARD_URL || undefined);
  const envToken = io.env.KEYWARD_TOKEN;
  if (envToken !== undefined && envToken.trim() !== "") {
    return { source: "KEYWARD_TOKEN", baseUrl: requestedUrl ?? DEFAULT_URL, token: envToken };
  }
  const sessionFile = sessionFilePath(io.env);
  const session = sessionFile === null ? null : readSessionFile(sessionFile);
  if (sessionFile === null || session === null) {
    throw new KeywardError(
      "CONFIG_INVALID",
      "KEYWARD_TOKEN is not set and no one is logged in; export an admin token (keyward init prints the root " +
        "token) as KEYWARD_TOKEN, or run keyward login.",
    );
  }
  if (isSessionExpired(session, nowMs)) {
    throw new KeywardError(
      "CONFIG_INVALID",
      `The session of ${session.email} saved in ${sessionFile} ended at ${session.expiresAt}; run keyward login.`,
    );
  }
  if (requestedUrl !== undefined) {
    const requested = normalizeServerUrl(requestedUrl);
    if (requested !== normalizeServerUrl(session.url)) {
      throw new KeywardError(
        "CONFIG_INVALID",
        `The stored session of ${session.email} is for ${session.url}, not ${requested}; run keyward login ` +
          `--url ${requested}, or export KEYWARD_TOKEN.`,
      );
    }
  }
  return { source: "session", baseUrl: session.url, token: session.token, session, sessionFile };
}

/**
 * A server URL in one spelling (origin and path without a trailing slash), so two spellings of one server compare
 * equal. CONFIG_INVALID for anything but an absolute http(s) URL without credentials, query or fragment; the
 * message never echoes the URL, which may hold a password.
 */
export function normalizeServerUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KeywardError("CONFIG_INVALID", "The server URL must be an absolute http or https URL.");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new KeywardError("CONFIG_INVALID", "The server URL must be an http or https URL.");
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new KeywardError("CONFIG_INVALID", "The server URL must not contain credentials.");
  }
  if (parsed.search !== "" || parsed.hash !== "") {
    throw new KeywardError("CONFIG_INVALID", "The server URL must not have a query or a fragment.");
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
}
