import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTraceLoggedApp, type TraceLoggedApp } from "../../test/support/test-app.js";
import type { Instance } from "../instance.js";
import { createLogger, REDACTED_PATHS } from "../logger.js";
import type { KeywardApp } from "./app.js";

let t: TraceLoggedApp;
/** Every line the logger wrote, as text. */
let lines: string[];
let app: KeywardApp;
let instance: Instance;
let rootToken: string;

beforeAll(async () => {
  t = await createTraceLoggedApp();
  ({ app, instance, lines } = t);
  rootToken = instance.rootToken ?? "";
});
afterAll(async () => {
  await t.close();
});

function send(
  method: "GET" | "POST" | "PATCH",
  url: string,
  options: { token?: string | null; body?: unknown; raw?: string; contentType?: string } = {},
): Promise<LightMyRequestResponse> {
  const token = options.token === undefined ? rootToken : options.token;
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return app.inject({
    method,
    url,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(payload === undefined ? {} : { "content-type": options.contentType ?? "application/json" }),
      "x-forwarded-for": "203.0.113.7",
    },
    ...(payload === undefined ? {} : { payload }),
  });
}

describe("the request log", () => {
  it("never holds a key, a bearer token or an authorization header value, whatever the request", async () => {
    const minted = await send("POST", "/v1/tokens", { body: { name: "logged", permissions: ["keys:*"] } });
    expect(minted.statusCode).toBe(201);
    const token = minted.json().token as string;
    const created = await send("POST", "/v1/keys", { token, body: { name: "logged key", scopes: ["a"] } });
    expect(created.statusCode).toBe(201);
    const key = created.json().key as string;
    const other = (await send("POST", "/v1/keys", { token, body: {} })).json().key as string;

    const responses = [
      await send("POST", "/v1/keys/verify", { token, body: { key } }),
      await send("POST", "/v1/keys/verify", { token, body: { key, scopes: ["b"] } }),
      // Errors that carry the key in the body, in a header, or in a malformed document.
      await send("POST", "/v1/keys/verify", { token, body: { key, ip: "not-an-ip" } }),
      await send("POST", "/v1/keys/verify", { token, raw: `{"key":"${key}"` }),
      await send("POST", "/v1/keys/verify", { token, raw: key, contentType: "text/plain" }),
      await send("POST", "/v1/keys", { token, body: { name: key, nmae: key } }),
      await send("GET", "/v1/keys", { token: key }),
      await send("GET", "/v1/keys", { token: `${token}x` }),
      await send("POST", "/v1/tokens", { token, body: { name: "x", permissions: ["*"] } }),
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 400, 400, 415, 400, 401, 401, 403]);

    // A server-side failure is logged with its error: close the store and verify a key not yet cached.
    await instance.store.close();
    const failed = await send("POST", "/v1/keys/verify", { token, body: { key: other } });
    expect(failed.statusCode).toBe(503);

    const log = lines.join("");
    expect(log, "request logging is on, so there is something to check").toContain("incoming request");
    expect(log).toContain("request completed");
    expect(log, "the 5xx is logged with its request id").toContain(failed.json().requestId);
    for (const secret of [key, other, token, rootToken]) {
      expect(log).not.toContain(secret);
      expect(log).not.toContain(secret.slice(secret.lastIndexOf("_") + 1));
    }
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const headers = (entry.req as { headers?: Record<string, unknown> } | undefined)?.headers;
      if (headers?.authorization !== undefined) expect(headers.authorization).toBe("[redacted]");
      expect(line.toLowerCase()).not.toMatch(/bearer\s+kw/);
    }
  });

  it("redacts every secret-bearing path it promises to, when something does log them", () => {
    const before = lines.length;
    const logger = createLogger({ logLevel: "info" }, { write: (line: string) => void lines.push(line) });
    logger.info(
      {
        req: { headers: { authorization: "Bearer kwr_secret_a", cookie: "c=secret_b" } },
        headers: { authorization: "Bearer kwr_secret_c" },
        authorization: "Bearer kwr_secret_d",
        key: "kw_secret_e",
        token: "kwr_secret_f",
        secret: "secret_g",
        rootToken: "kwr_secret_h",
        masterKey: "secret_i",
        body: { key: "kw_secret_j", token: "kwr_secret_k", secret: "secret_l" },
        input: { authorization: "secret_m", rootToken: "secret_n", masterKey: "secret_o" },
      },
      "deliberately logging secrets",
    );
    const logged = lines.slice(before).join("");
    expect(logged).toContain("deliberately logging secrets");
    expect(logged).not.toMatch(/secret_[a-o]/);
    expect(REDACTED_PATHS).toEqual(
      expect.arrayContaining(["req.headers.authorization", "key", "*.key", "token"]),
    );
  });
});
