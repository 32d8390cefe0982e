import type { IncomingMessage, ServerResponse } from "node:http";
import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { Instance, Readiness } from "../instance.js";
import type { Metrics } from "../monitor/metrics.js";
import type { AlertService } from "../services/alert-service.js";
import type { AuditService } from "../services/audit-service.js";
import type { AuthService } from "../services/auth-service.js";
import type { IdentityService } from "../services/identity-service.js";
import type { KeyRoleService } from "../services/key-role-service.js";
import type { KeyService } from "../services/key-service.js";
import type { ProjectService } from "../services/project-service.js";
import type { RatelimitService } from "../services/ratelimit-service.js";
import type { SecretService } from "../services/secret-service.js";
import type { TokenService } from "../services/token-service.js";
import type { UsageService } from "../services/usage-service.js";
import type { UserService } from "../services/user-service.js";
import type { WebhookService } from "../services/webhook-service.js";
import { AlertSchema } from "./alert-schemas.js";
import { type ApiTls, createApiServer } from "./api-server.js";
import { AUDIT_SCHEMAS } from "./audit-schemas.js";
import { createAuthHook } from "./auth.js";
import { describeApi } from "./openapi-info.js";
import {
  isServerFailure,
  type Problem,
  retryAfterSeconds,
  shuttingDownError,
  toProblem,
  WWW_AUTHENTICATE,
} from "./problem.js";
import { createRequestIdGenerator } from "./request-id.js";
import { ROUTES } from "./routes.js";
import { KeySchema, ProblemSchema, ProjectSchema, TokenSchema } from "./schemas.js";
import { SECRET_SCHEMAS } from "./secret-schemas.js";
import { registerUnkeyApi } from "./unkey/register.js";
import { USER_SCHEMAS } from "./user-schemas.js";
import { createValidatorCompiler } from "./validator.js";
import { createVerifyFastPath } from "./verify-fast-path.js";
import { WEBHOOK_SCHEMAS } from "./webhook-schemas.js";

/** What the HTTP layer needs; built by the composition root (main.ts) or a test. */
export interface AppDependencies {
  keys: KeyService;
  tokens: TokenService;
  projects: ProjectService;
  webhooks: WebhookService;
  /** Standalone rate limits (`POST /v1/ratelimit`) and their overrides. */
  ratelimits: RatelimitService;
  /** Usage reports (`GET /v1/keys/{id}/usage`, `GET /v1/usage`). */
  usage: UsageService;
  /** Anomaly alerts (`GET /v1/alerts`, `POST /v1/alerts/{id}/ack`). */
  alerts: AlertService;
  /** The audit log (`/v1/audit`: list, verify, checkpoints). */
  audit: AuditService;
  /** The secrets vault (`/v1/secrets`) and recoverable keys' reveal (`POST /v1/keys/{id}/reveal`). */
  secrets: SecretService;
  /** Admin users' logins, sessions and second factors (`/v1/auth`, `/v1/users/me`). */
  auth: AuthService;
  /** Admin users and their roles (`/v1/users`). */
  users: UserService;
  /** The permissions and roles keys can hold (`/v1/roles`, `/v1/permissions`, `/v2/permissions.*`). */
  keyRoles: KeyRoleService;
  /** Identities (`/v1/identities`, `/v2/identities.*`), and the owners' identities keys are shown with. */
  identities: IdentityService;
  /** Prometheus metrics (`GET /metrics`). */
  metrics: Metrics;
  /** What `/readyz` checks (the store, its schema, the rate limiter). */
  readiness: () => Promise<Readiness>;
  logger: FastifyBaseLogger;
  bodyLimitBytes: number;
  logRequests: boolean;
  /** Serve HTTPS (with HSTS) with this certificate and key; absent or null serves plain HTTP. */
  tls?: ApiTls | null;
}

/** The services of the HTTP layer, as an opened {@link Instance} holds them. */
export type AppServices = Pick<
  AppDependencies,
  | "keys"
  | "tokens"
  | "projects"
  | "webhooks"
  | "ratelimits"
  | "usage"
  | "alerts"
  | "audit"
  | "secrets"
  | "auth"
  | "users"
  | "keyRoles"
  | "identities"
  | "metrics"
>;

/** The services of an opened instance, for {@link createApp}; the caller adds logging, limits and readiness. */
export function servicesOf(instance: Instance): AppServices {
  const {
    keys,
    tokens,
    projects,
    webhooks,
    ratelimits,
    usage,
    alerts,
    audit,
    secrets,
    auth,
    users,
    keyRoles,
    identities,
    metrics,
  } = instance;
  return {
    keys,
    tokens,
    projects,
    webhooks,
    ratelimits,
    usage,
    alerts,
    audit,
    secrets,
    auth,
    users,
    keyRoles,
    identities,
    metrics,
  };
}

/** The Fastify instance with Keyward's type provider. */
export type KeywardApp = FastifyInstance<
  import("node:http").Server,
  import("node:http").IncomingMessage,
  import("node:http").ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Builds the HTTP API. Does no I/O until the caller listens or injects a request. */
export async function createApp(deps: AppDependencies): Promise<KeywardApp> {
  const nextRequestId = createRequestIdGenerator();
  let closing = false;
  // The verify hot path skips Fastify for plain requests (see verify-fast-path.ts). With access logs on, every
  // request goes through Fastify so each one is logged.
  const fastPath = deps.logRequests
    ? null
    : createVerifyFastPath({
        keys: deps.keys,
        tokens: deps.tokens,
        metrics: deps.metrics,
        logger: deps.logger,
        bodyLimitBytes: deps.bodyLimitBytes,
        nextRequestId,
        isClosing: () => closing,
      });
  const tls = deps.tls ?? null;
  const app = Fastify({
    // The server comes from the factory; Fastify reads this option only for the scheme of the URL it reports.
    https: tls === null ? null : {},
    // Typed as the server Fastify's https overload expects; an http.Server has the same request API.
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
      createApiServer({
        tls,
        handle:
          fastPath === null
            ? handler
            : (req, res) => {
                if (!fastPath(req, res)) handler(req, res);
              },
      }) as import("node:https").Server,
    loggerInstance: deps.logger,
    logController: new LogController({
      disableRequestLogging: !deps.logRequests,
      requestIdLogLabel: "requestId",
    }),
    // A pino child logger per request costs the hot path; without access logs, request-scoped lines (errors)
    // name their requestId explicitly instead.
    ...(deps.logRequests ? {} : { childLoggerFactory: (logger: FastifyBaseLogger) => logger }),
    bodyLimit: deps.bodyLimitBytes,
    genReqId: nextRequestId,
    // Requests arriving while the server closes get our NOT_READY problem (below), not Fastify's own 503 body.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Bad percent-encoding and over-long path parameters are refused before routing, outside the error
    // handler; without this Fastify answers them with its own JSON (echoing the path), not a problem document.
    frameworkErrors: (error, request, genericReply) => {
      const problem = toProblem(error, request.id);
      const reply = genericReply as unknown as FastifyReply;
      void reply
        .status(problem.status)
        .header("x-request-id", request.id)
        .header("cache-control", "no-store")
        .type("application/problem+json")
        .send(problem);
    },
    // Errors Node's HTTP parser raises before Fastify has a request (headers too large, malformed request line)
    // still get a problem document rather than a bare socket close or framework JSON.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return;
      const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
      const body = JSON.stringify(toProblem({ statusCode: status }, nextRequestId()));
      socket.end(
        `HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
          `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as KeywardApp;

  // Bodies are JSON only: Fastify's built-in text/plain parser would turn a text body into a string that then
  // fails validation as "must be object" (400) instead of the documented 415.
  app.removeContentTypeParser(["text/plain", "application/json"]);
  // An empty JSON body is "no body": routes whose body is optional (revoke) accept it, and routes that need one
  // answer VALIDATION_ERROR naming the body. Everything else goes through Fastify's safe default JSON parser.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });

  app.setValidatorCompiler(createValidatorCompiler());
  app.decorateRequest("principal", null);
  app.addSchema(KeySchema);
  app.addSchema(AlertSchema);
  app.addSchema(ProjectSchema);
  app.addSchema(TokenSchema);
  app.addSchema(ProblemSchema);
  for (const schema of WEBHOOK_SCHEMAS) app.addSchema(schema);
  for (const schema of AUDIT_SCHEMAS) app.addSchema(schema);
  for (const schema of SECRET_SCHEMAS) app.addSchema(schema);
  for (const schema of USER_SCHEMAS) app.addSchema(schema);

  await app.register(swagger, {
    openapi: describeApi(),
    // Name components after their $id (Key, Problem, ...) instead of def-0, def-1.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  app.addHook("preClose", async () => {
    closing = true;
  });
  const authenticate = createAuthHook(deps.tokens, deps.auth, deps.projects);
  // One hook for every request (fewer hook runs on the hot path): response headers, shutdown, authentication.
  // Headers set here stay on every response, errors included.
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
    reply.header("cache-control", "no-store");
    if (closing) {
      reply.header("connection", "close");
      throw shuttingDownError();
    }
    await authenticate(request);
  });

  app.setErrorHandler(async (error, request, reply) => {
    const problem = await prepareErrorReply(deps, error, request, reply);
    return reply.status(problem.status).type("application/problem+json").send(problem);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const problem = toProblem({ statusCode: 404 }, request.id);
    return reply
      .status(404)
      .type("application/problem+json")
      .send({ ...problem, detail: "No route matches this method and path." });
  });

  for (const register of ROUTES) register(app, deps);
  await registerUnkeyApi(app, deps);
  return app;
}

/**
 * What every error response does, whatever shape its body takes (the `/v1` problem document, the Unkey-compatible
 * envelope): a 403 to an authenticated caller is audited, a server failure logged, and Retry-After and
 * WWW-Authenticate set. Returns the problem to send.
 */
export async function prepareErrorReply(
  deps: Pick<AppDependencies, "audit">,
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Problem> {
  const problem = toProblem(error, request.id);
  if (problem.code === "FORBIDDEN" && request.principal) {
    // An authenticated caller refused: an admin action that failed, recorded like the ones that succeed.
    await deps.audit.recordRefusal(request.principal, {
      method: request.method,
      route: request.routeOptions.url ?? request.url,
      permission: request.routeOptions.config.permission ?? null,
      detail: problem.detail ?? null,
    });
  }
  if (isServerFailure(problem)) request.log.error({ err: error, requestId: request.id }, "request failed");
  if (problem.code === "UNAUTHORIZED") reply.header("www-authenticate", WWW_AUTHENTICATE);
  const retryAfter = retryAfterSeconds(error);
  if (retryAfter !== undefined) reply.header("retry-after", String(retryAfter));
  return problem;
}
