import { createHmac } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { CSRF_HEADER, SESSION_COOKIE } from "../../src/http/auth.js";
import type { Principal } from "../../src/services/principal.js";
import type { UserRecord } from "../../src/store/user-store.js";
import type { TestApp } from "./test-app.js";

/** A password every policy check accepts (15+ characters, not common, unrelated to the test users' names). */
export const PASSWORD = "velvet orbit lantern quietly 7";

/** A browser session as a test holds it: the cookie's secret and the CSRF token the login returned. */
export interface TestSession {
  secret: string;
  csrfToken: string;
  sessionId: string;
  userId: string;
}

/** The root token's principal, for creating users through the service as `keyward init` does. */
export async function rootPrincipal(t: TestApp): Promise<Principal> {
  const principal = await t.instance.tokens.authenticate(t.rootToken);
  if (principal === null) throw new Error("the root token must authenticate");
  return principal;
}

/** Creates a user through the service with the root token (no HTTP, no step-up). */
export async function createUserDirectly(
  t: TestApp,
  input: { email: string; role: string; projectIds?: string[] | null; name?: string; password?: string },
): Promise<UserRecord> {
  return t.instance.users.createUser(await rootPrincipal(t), {
    email: input.email,
    name: input.name ?? "Test User",
    password: input.password ?? PASSWORD,
    role: input.role,
    projectIds: input.projectIds ?? null,
  });
}

/** POST /v1/auth/login with a JSON body, no credentials. */
export function postLogin(t: TestApp, body: Record<string, unknown>): Promise<LightMyRequestResponse> {
  return t.request("POST", "/v1/auth/login", body, null);
}

/** Logs in as a browser (asserting 200) and returns the session the cookie carries. */
export async function login(
  t: TestApp,
  email: string,
  options: { password?: string; code?: string } = {},
): Promise<TestSession> {
  const res = await postLogin(t, {
    email,
    password: options.password ?? PASSWORD,
    ...(options.code === undefined ? {} : { code: options.code }),
  });
  expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
  return sessionOf(res);
}

/** The session a browser login response set: the cookie's value and the body's CSRF token. */
export function sessionOf(res: LightMyRequestResponse): TestSession {
  const cookie = String(res.headers["set-cookie"] ?? "");
  const prefix = `${SESSION_COOKIE}=`;
  expect(cookie.startsWith(prefix), cookie).toBe(true);
  const secret = cookie.slice(prefix.length, cookie.indexOf(";"));
  const body = res.json() as { csrfToken: string; session: { id: string }; user: { id: string } };
  return { secret, csrfToken: body.csrfToken, sessionId: body.session.id, userId: body.user.id };
}

/** Sends a request authenticated by the session cookie, with its CSRF token unless `csrf` is false. */
export function asSession(
  t: TestApp,
  session: TestSession,
  method: "GET" | "POST" | "PATCH" | "DELETE" | "PUT",
  url: string,
  body?: unknown,
  options: { csrf?: boolean } = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method,
    url,
    headers: {
      cookie: `${SESSION_COOKIE}=${session.secret}`,
      ...(options.csrf === false ? {} : { [CSRF_HEADER]: session.csrfToken }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 decoding, by hand, so the test shares no code with the server's TOTP module. */
function decodeBase32(text: string): Buffer {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text.replace(/=+$/, "").toUpperCase()) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/**
 * The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret at `nowMs`: an independent implementation on
 * node:crypto (RFC 4226 dynamic truncation), like the one in src/auth/totp.test.ts.
 */
export function totpCode(base32Secret: string, nowMs: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(nowMs / 30_000)));
  const mac = createHmac("sha1", decodeBase32(base32Secret)).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** Enrols TOTP through the API for the session's user; the session then counts a fresh second factor. */
export async function enrolTotp(
  t: TestApp,
  session: TestSession,
): Promise<{ secret: string; otpauthUri: string; recoveryCodes: string[] }> {
  const started = await asSession(t, session, "POST", "/v1/users/me/totp");
  expect(started.statusCode, started.body.slice(0, 500)).toBe(200);
  const { secret, otpauthUri } = started.json() as { secret: string; otpauthUri: string };
  const confirmed = await asSession(t, session, "POST", "/v1/users/me/totp/confirm", {
    code: totpCode(secret, t.clock.now()),
  });
  expect(confirmed.statusCode, confirmed.body.slice(0, 500)).toBe(200);
  const { recoveryCodes } = confirmed.json() as { recoveryCodes: string[] };
  return { secret, otpauthUri, recoveryCodes };
}

/** A user made with the root token, logged in, with TOTP enrolled: a fresh second factor for 5 minutes. */
export async function userWithTotp(
  t: TestApp,
  email: string,
  role: string,
  projectIds: string[] | null = null,
): Promise<{ session: TestSession; secret: string }> {
  await createUserDirectly(t, { email, role, projectIds, name: `${role} person` });
  const session = await login(t, email);
  const { secret } = await enrolTotp(t, session);
  return { session, secret };
}
