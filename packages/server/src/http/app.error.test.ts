import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const inject = (method: "GET" | "POST" | "OPTIONS" | "DELETE" | "PUT", url: string) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${t.rootToken}` } });

describe("routing errors", () => {
  it("answers an unknown route with a 404 NOT_FOUND problem, with or without a token", async () => {
    for (const url of ["/", "/v2/keys", "/v1/key", "/v1/keys/a/b/c", "/favicon.ico"]) {
      const body = expectProblem(await inject("GET", url), 404, "NOT_FOUND");
      expect(body.detail).toBe("No route matches this method and path.");
      expectProblem(await t.app.inject({ method: "GET", url }), 404, "NOT_FOUND");
    }
  });

  it("answers a method a path does not have with 404 NOT_FOUND", async () => {
    expectProblem(await inject("DELETE", "/v1/keys/key_x"), 404, "NOT_FOUND");
    expectProblem(await inject("PUT", "/v1/keys"), 404, "NOT_FOUND");
    expectProblem(await inject("OPTIONS", "/v1/keys"), 404, "NOT_FOUND");
  });

  it("answers bad percent-encoding in the path with a 404 problem document, not Fastify's own JSON", async () => {
    for (const url of ["/v1/keys/%", "/v1/keys/%E0%A4%A", "/v1/%zz", "/v1/projects/%C0%AF"]) {
      const body = expectProblem(await inject("GET", url), 404, "NOT_FOUND");
      expect(body.detail, "the path is not echoed").not.toContain("%");
    }
  });

  it("answers a path parameter over the router's limit with a 400 problem that does not echo it", async () => {
    const id = `key_${"x".repeat(300)}`;
    const res = await inject("GET", `/v1/keys/${id}`);
    expectProblem(res, 400, "VALIDATION_ERROR");
    expect(res.body).not.toContain(id);
  });

  it("answers %00, encoded slashes and dot segments in an id as an unknown key", async () => {
    for (const id of ["%00", "a%2Fb", "..%2F..%2Fetc%2Fpasswd", "%2E%2E", "key_%F0%9F%94%91"]) {
      expectProblem(await inject("GET", `/v1/keys/${id}`), 404, "NOT_FOUND");
    }
  });
});

/** Sends raw bytes to a listening server and resolves with everything it answers before closing. */
function sendRaw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
    });
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("errors raised by Node's HTTP parser, before Fastify has a request", () => {
  it("answers headers over the size limit with 431 HEADERS_TOO_LARGE as a problem document", async () => {
    const served = await createTestApp();
    try {
      await served.app.listen({ host: "127.0.0.1", port: 0 });
      const address = served.app.server.address();
      if (address === null || typeof address === "string") throw new Error("expected a TCP address");
      const answer = await sendRaw(
        address.port,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      );
      expect(answer.startsWith("HTTP/1.1 431 ")).toBe(true);
      expect(answer).toContain("Content-Type: application/problem+json");
      const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
      expect(body).toMatchObject({ status: 431, code: "HEADERS_TOO_LARGE" });
      const garbage = await sendRaw(address.port, "NOT HTTP AT ALL\r\n\r\n");
      expect(garbage.startsWith("HTTP/1.1 400 ")).toBe(true);
      expect(JSON.parse(garbage.slice(garbage.indexOf("\r\n\r\n") + 4))).toMatchObject({
        code: "VALIDATION_ERROR",
      });
    } finally {
      await served.close();
    }
  });
});

describe("shutdown", () => {
  it("answers requests that arrive while the server closes with 503 NOT_READY and Connection: close", async () => {
    const served = await createTestApp();
    await served.app.listen({ host: "127.0.0.1", port: 0 });
    const address = served.app.server.address();
    if (address === null || typeof address === "string") throw new Error("expected a TCP address");
    // A kept-alive connection opened before close; its next request arrives during shutdown.
    const socket = connect(address.port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    const answers: string[] = [];
    socket.on("data", (chunk) => answers.push(chunk.toString("latin1")));
    const closing = served.app.close();
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((resolve) => socket.once("close", resolve));
    await closing;
    await served.instance.close();
    const answer = answers.join("");
    expect(answer.startsWith("HTTP/1.1 503 ")).toBe(true);
    expect(answer).toMatch(/connection: close/i);
    expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toMatchObject({ code: "NOT_READY" });
  });
});
