import { KeywardError } from "@keyward/core/keyward-error.js";
import { effectiveRoles } from "@keyward/core/roles.js";
import type { FastifyRequest } from "fastify";
import { type AuthService, SESSION_PREFIX } from "../services/auth-service.js";
import type { Principal, RequestOrigin } from "../services/principal.js";
import { requirePermission, userPrincipal } from "../services/principal.js";
import type { ProjectService } from "../services/project-service.js";
import type { TokenService } from "../services/token-service.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The admin token behind this request; set by the authentication hook on every protected route. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /**
     * The permission a route needs; `null` marks a public route (health, OpenAPI, login), {@link SELF} a route
     * about the caller's own account (any valid session or token; the service decides).
     */
    permission?: string | null;
    /** A user's session must have presented a second factor within the step-up window (admin tokens pass). */
    stepUp?: boolean;
    /** Open to a user without two-factor authentication even where it is required: enrolling, logging out. */
    allowWithout2fa?: boolean;
  }
}

/** The route permission of routes about the caller's own account. */
export const SELF = "self";

/** The session cookie: `__Host-` pins it to this origin, path `/`, HTTPS only. */
export const SESSION_COOKIE = "__Host-keyward_session";

/** The header a cookie-authenticated request that changes something must carry (the login's `csrfToken`). */
export const CSRF_HEADER = "x-csrf-token";

const BEARER = "bearer ";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Builds the onRequest hook: every route declares `config.permission`; public routes declare null. The caller
 * is a user's session (cookie or `kws_` bearer) or an admin token. No valid credential is 401, one without the
 * permission (for a session: where the request acts) is 403, a session without a recent second factor on a
 * `stepUp` route is 403 STEP_UP_REQUIRED. Runs before the body is parsed, so an unauthenticated caller cannot
 * make the server parse anything.
 */
export function createAuthHook(tokens: TokenService, auth: AuthService, projects: ProjectService) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const config = request.routeOptions.config;
    const permission = config.permission;
    if (permission === null || request.is404) return;
    const principal =
      (await authenticateSession(auth, projects, request, permission)) ??
      (await authenticateBearer(tokens, request.headers.authorization, null));
    request.principal = { ...principal, origin: originOf(request) };
    // After the principal is set: a refusal is recorded in the audit log with who was refused.
    if (permission === SELF && principal.user === undefined) {
      throw new KeywardError("FORBIDDEN", "Only a user's session can do this; admin tokens have no account.");
    }
    // A route without a declared permission is a programming error: refuse rather than allow.
    if (permission !== SELF) requirePermission(request.principal, permission ?? "*");
    if (config.stepUp === true) auth.requireStepUp(request.principal);
  };
}

/**
 * The principal of a user's session (the cookie, or `Authorization: Bearer kws_…` from the CLI), or null when the
 * request carries neither. UNAUTHORIZED for an ended session, CSRF_TOKEN_INVALID for a cookie-authenticated
 * change without its CSRF token, TWO_FACTOR_REQUIRED where 2FA is required and the user has none yet: instance-wide,
 * or by a project that would leave the user no role or that an instance-wide role would reach. Without 2FA, the
 * roles in projects requiring it grant nothing.
 */
async function authenticateSession(
  auth: AuthService,
  projects: ProjectService,
  request: FastifyRequest,
  permission: string | undefined,
): Promise<Principal | null> {
  const header = request.headers.authorization;
  let secret: string | null = null;
  let fromCookie = false;
  if (typeof header === "string") {
    const token = header.toLowerCase().startsWith(BEARER) ? header.slice(BEARER.length).trim() : "";
    if (!token.startsWith(`${SESSION_PREFIX}_`)) return null;
    secret = token;
  } else {
    secret = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (secret === null) return null;
    fromCookie = true;
  }
  const found = await auth.authenticate(secret);
  if (found === null)
    throw new KeywardError("UNAUTHORIZED", "The session has ended or is not valid; log in again.");
  if (fromCookie && !SAFE_METHODS.has(request.method)) {
    const token = request.headers[CSRF_HEADER];
    if (!auth.checkCsrfToken(secret, typeof token === "string" ? token : undefined)) {
      throw new KeywardError(
        "CSRF_TOKEN_INVALID",
        `Send the login's csrfToken in the ${CSRF_HEADER} header.`,
      );
    }
  }
  if (found.identity.twoFactorEnabled) {
    return userPrincipal(found.identity, found.user.roles, permission ?? "*");
  }
  const enrolling = request.routeOptions.config.allowWithout2fa === true;
  if (auth.policy.require2fa && !enrolling) throw twoFactorRequired();
  const effective = effectiveRoles(found.user.roles, {
    twoFactorEnabled: false,
    projectsRequiring2fa: await projects.projectsRequiring2fa(),
  });
  if (effective.mustEnrol && !enrolling) throw twoFactorRequired();
  return userPrincipal(found.identity, effective.roles, permission ?? "*");
}

function twoFactorRequired(): KeywardError {
  return new KeywardError(
    "TWO_FACTOR_REQUIRED",
    "Two-factor authentication is required: enrol with POST /v1/users/me/totp, then confirm it.",
  );
}

/** The value of one cookie in a `Cookie` header, or null; a repeated name is refused (null) as ambiguous. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined || header.length > 8_192) return null;
  let value: string | null = null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    if (value !== null) return null;
    value = part.slice(eq + 1).trim();
  }
  return value === "" ? null : value;
}

/** Where the request came from, as the audit log records it (the user agent cut to 256 characters). */
export function originOf(request: FastifyRequest): RequestOrigin {
  const agent = request.headers["user-agent"];
  return {
    sourceIp: request.ip ?? null,
    userAgent: typeof agent === "string" ? agent.slice(0, 256) : null,
    requestId: typeof request.id === "string" ? request.id : null,
  };
}

/**
 * The principal behind an `Authorization: Bearer` header, holding `permission`: UNAUTHORIZED without a valid
 * token, FORBIDDEN without the permission. Shared by the hook and the verify fast path.
 */
export async function authenticateBearer(
  tokens: TokenService,
  header: string | string[] | undefined,
  permission: string | null,
): Promise<Principal> {
  if (typeof header !== "string" || header.length > 512 || !header.toLowerCase().startsWith(BEARER)) {
    throw new KeywardError("UNAUTHORIZED", "Send Authorization: Bearer <token>.");
  }
  const principal = await tokens.authenticate(header.slice(BEARER.length).trim());
  if (principal === null) throw new KeywardError("UNAUTHORIZED", "The bearer token is not valid.");
  if (permission !== null) requirePermission(principal, permission);
  return principal;
}

/** The principal of an authenticated request; throws if a route forgot its permission. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new KeywardError("UNAUTHORIZED");
  return request.principal;
}
