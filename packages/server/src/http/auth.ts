import { KeywardError } from "@keyward/core/keyward-error.js";
import type { FastifyRequest } from "fastify";
import type { Principal, RequestOrigin } from "../services/principal.js";
import { requirePermission } from "../services/principal.js";
import type { TokenService } from "../services/token-service.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The admin token behind this request; set by the authentication hook on every protected route. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The permission a route needs; `null` marks a public route (health, OpenAPI). */
    permission?: string | null;
  }
}

const BEARER = "bearer ";

/**
 * Builds the onRequest hook: every route declares `config.permission`; public routes declare null. No valid
 * token is 401, a valid token without the permission is 403. Runs before the body is parsed, so an
 * unauthenticated caller cannot make the server parse anything.
 */
export function createAuthHook(tokens: TokenService) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const permission = request.routeOptions.config.permission;
    if (permission === null || request.is404) return;
    // A route without a declared permission is a programming error: refuse rather than allow.
    const principal = await authenticateBearer(tokens, request.headers.authorization, null);
    request.principal = { ...principal, origin: originOf(request) };
    // After the principal is set: a refusal is recorded in the audit log with who was refused.
    requirePermission(request.principal, permission ?? "*");
  };
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
