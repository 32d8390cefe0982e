import type { IncomingMessage, ServerResponse } from "node:http";
import { KeywardError } from "@keyward/core/keyward-error.js";
import type { FastifyBaseLogger } from "fastify";
import secureJson from "secure-json-parse";
import type { VerifyMetrics } from "../monitor/metrics.js";
import { SESSION_PREFIX } from "../services/auth-service.js";
import type { KeyService } from "../services/key-service.js";
import type { TokenService } from "../services/token-service.js";
import { authenticateBearer } from "./auth.js";
import {
  isServerFailure,
  retryAfterSeconds,
  shuttingDownError,
  toProblem,
  validationError,
  WWW_AUTHENTICATE,
} from "./problem.js";
import { runVerification, VerifyRequest, type VerifyRequestBody } from "./routes/v1/keys/verify-contract.js";
import { createBodyAjv } from "./validator.js";

/** What the fast path needs; the same services and settings the Fastify app uses. */
export interface VerifyFastPathOptions {
  keys: KeyService;
  tokens: TokenService;
  /** Counts and times each verification, as the Fastify route does. */
  metrics: VerifyMetrics;
  logger: FastifyBaseLogger;
  bodyLimitBytes: number;
  nextRequestId: () => string;
  isClosing: () => boolean;
}

const PATH = "/v1/keys/verify";
const JSON_TYPES = new Set(["application/json", "application/json; charset=utf-8"]);

/**
 * Serves `POST /v1/keys/verify` straight from `node:http`, skipping Fastify's routing, request objects and hook
 * pipeline, which cost about 40% of the hot path's CPU (docs/benchmarks.md). It takes only requests with a
 * plain envelope: exact path, `application/json`, a Content-Length within the limit, a bearer token. Anything
 * else returns false and goes to Fastify, whose route shares this path's validator, authentication,
 * verification and error mapping (a parity test holds the two to the same bytes).
 */
export function createVerifyFastPath(
  options: VerifyFastPathOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const validate = createBodyAjv().compile<VerifyRequestBody>(VerifyRequest);

  async function verify(req: IncomingMessage, body: Buffer): Promise<string> {
    if (options.isClosing()) throw shuttingDownError();
    const principal = await authenticateBearer(options.tokens, req.headers.authorization, "keys:verify");
    const text = body.toString("utf8");
    let parsed: unknown;
    try {
      parsed =
        text.trim() === ""
          ? undefined
          : secureJson.parse(text, { protoAction: "error", constructorAction: "error" });
    } catch (cause) {
      throw new KeywardError("INVALID_JSON", undefined, { cause });
    }
    if (!validate(parsed)) throw validationError(validate.errors ?? []);
    return JSON.stringify(
      await runVerification(options.keys, principal, parsed, req.socket.remoteAddress, options.metrics),
    );
  }

  function answer(
    res: ServerResponse,
    requestId: string,
    status: number,
    type: string,
    payload: string,
    retryAfter?: number,
  ): void {
    res.writeHead(status, {
      "content-type": type,
      "content-length": Buffer.byteLength(payload),
      "x-request-id": requestId,
      "cache-control": "no-store",
      ...(status === 401 ? { "www-authenticate": WWW_AUTHENTICATE } : {}),
      ...(retryAfter === undefined ? {} : { "retry-after": String(retryAfter) }),
      ...(options.isClosing() ? { connection: "close" } : {}),
    });
    res.end(payload);
  }

  function fail(res: ServerResponse, requestId: string, error: unknown): void {
    const problem = toProblem(error, requestId);
    if (isServerFailure(problem)) options.logger.error({ err: error, requestId }, "request failed");
    answer(
      res,
      requestId,
      problem.status,
      "application/problem+json; charset=utf-8",
      JSON.stringify(problem),
      retryAfterSeconds(error),
    );
  }

  return (req, res) => {
    const length = Number(req.headers["content-length"]);
    const takes =
      req.method === "POST" &&
      req.url === PATH &&
      JSON_TYPES.has(req.headers["content-type"]?.toLowerCase() ?? "") &&
      req.headers["transfer-encoding"] === undefined &&
      Number.isInteger(length) &&
      length > 0 &&
      length <= options.bodyLimitBytes &&
      typeof req.headers.authorization === "string" &&
      // A user session (the CLI's bearer) goes through the full stack, which knows sessions.
      !req.headers.authorization.slice(7).trimStart().startsWith(`${SESSION_PREFIX}_`);
    if (!takes) return false;

    const requestId = options.nextRequestId();
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", () => res.destroy());
    req.on("end", () => {
      verify(req, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).then(
        (payload) => answer(res, requestId, 200, "application/json; charset=utf-8", payload),
        (error: unknown) => fail(res, requestId, error),
      );
    });
    return true;
  };
}
