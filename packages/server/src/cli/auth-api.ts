import { KeywardApiError } from "@keyward/client/keyward-api-error.js";
import { DEFAULT_TIMEOUT_MS } from "@keyward/client/keyward-client.js";

/** An admin user as `/v1/users/me` and the login answer show it (the fields the CLI prints). */
export interface ApiUser {
  id: string;
  email: string;
  name: string;
  roles: { role: string; projectId: string | null }[];
  twoFactorEnabled: boolean;
}

/** A session as the login answer shows it. */
export interface ApiSession {
  id: string;
  kind: string;
  createdAt: string;
  expiresAt: string;
}

/** The answer of `POST /v1/auth/login` with `client: "cli"`: `token` is the session secret, shown this once. */
export interface CliLogin {
  user: ApiUser;
  session: ApiSession;
  token: string;
}

/**
 * `POST /v1/auth/login` for the CLI. Refusals throw {@link KeywardApiError}: UNAUTHORIZED, MFA_REQUIRED,
 * TOO_MANY_LOGIN_ATTEMPTS (with `retryAfterSeconds`).
 */
export async function postCliLogin(
  baseUrl: string,
  input: { email: string; password: string; code?: string },
): Promise<CliLogin> {
  const body = { ...input, client: "cli" };
  const answer = (await sendRequest("POST", `${baseUrl}/v1/auth/login`, { body })) as Partial<CliLogin>;
  if (typeof answer.token !== "string" || typeof answer.session?.id !== "string") {
    throw new KeywardApiError({
      status: 200,
      code: "INVALID_RESPONSE",
      detail: `POST ${baseUrl}/v1/auth/login answered without a session token; is the server older than this CLI?`,
    });
  }
  return answer as CliLogin;
}

/** `POST /v1/auth/logout`: ends the session whose secret is `token`. */
export async function postLogout(baseUrl: string, token: string): Promise<void> {
  await sendRequest("POST", `${baseUrl}/v1/auth/logout`, { token });
}

/** `GET /v1/users/me`: the account behind a session secret. */
export async function getMe(baseUrl: string, token: string): Promise<ApiUser> {
  return (await sendRequest("GET", `${baseUrl}/v1/users/me`, { token })) as ApiUser;
}

/**
 * One request, answered as @keyward/client answers: JSON on 2xx (undefined for an empty body), else a
 * {@link KeywardApiError} from the problem document, or NETWORK_ERROR/TIMEOUT/INVALID_RESPONSE. The password and
 * the token travel only in the body and the Authorization header, and no message quotes either.
 */
async function sendRequest(
  method: "GET" | "POST",
  url: string,
  options: { token?: string; body?: unknown },
): Promise<unknown> {
  const where = `${method} ${url}`;
  const headers: Record<string, string> = { accept: "application/json, application/problem+json" };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const init: RequestInit = { method, headers, signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS) };
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, init);
    text = await response.text();
  } catch (error) {
    const timedOut = (error as { name?: unknown } | null)?.name === "TimeoutError";
    throw new KeywardApiError({
      status: 0,
      code: timedOut ? "TIMEOUT" : "NETWORK_ERROR",
      detail: timedOut
        ? `${where} got no answer within ${DEFAULT_TIMEOUT_MS} ms.`
        : `Could not reach Keyward: ${where} failed${reasonOf(error)}.`,
      cause: error,
    });
  }
  const body = parseJson(text);
  if (response.ok) return body;
  const problem = body as { code?: unknown; detail?: unknown; requestId?: unknown } | undefined;
  if (typeof problem?.code !== "string") {
    throw new KeywardApiError({
      status: response.status,
      code: "INVALID_RESPONSE",
      detail: `${where} answered ${response.status} without a problem document.`,
    });
  }
  const retryAfter = Number(response.headers.get("retry-after") ?? Number.NaN);
  throw new KeywardApiError({
    status: response.status,
    code: problem.code,
    detail: typeof problem.detail === "string" ? problem.detail : `${where} answered ${response.status}.`,
    requestId: typeof problem.requestId === "string" ? problem.requestId : null,
    retryAfterSeconds: Number.isInteger(retryAfter) && retryAfter >= 0 ? retryAfter : null,
  });
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

// undici hides the reason (ECONNREFUSED, ENOTFOUND...) in `cause`.
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const source = cause instanceof Error ? cause : error;
  const reason = source instanceof Error ? source.message.replace(/\s+/g, " ").trim() : "";
  return reason === "" ? "" : `: ${reason}`;
}
