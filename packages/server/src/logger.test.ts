import { describe, expect, it } from "vitest";
import { createLogger, redactUrl } from "./logger.js";

const KEY = "kw_3Fh9xq0T8cVb2LmN7pQr5sKd1Wz4Ye6uJa9Hg0Bf3Cx7Mv0tO2iZ1r4Ag5";
const TOKEN = "kwr_9sQ2vB7nL0xT4mK8pR1wZ5cY3dF6hJ0aG2eU9iO7tN4bV1qS8";
const WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/+1ab==";

describe("redactUrl()", () => {
  it.each([
    [`/v1/keys/${KEY}`, "/v1/keys/[redacted]"],
    [`/v1/keys?ownerId=${KEY}&limit=10`, "/v1/keys?ownerId=[redacted]&limit=10"],
    [`/v1/keys?token=${TOKEN}`, "/v1/keys?token=[redacted]"],
    [`/x?secret=${encodeURIComponent(WEBHOOK_SECRET)}`, "/x?secret=[redacted]"],
    [`/x?k=${KEY.replace("k", "%6B")}`, "/x?k=[redacted]"],
    [`/x/${KEY}%zz`, "/x/[redacted]%zz"],
    ["/v1/projects_custom_key_0000000000000000000000000000000/x", "/v1/[redacted]/x"],
  ])("redacts secrets in %s", (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it("keeps ids, request ids, cursors and other parameters as they are", () => {
    for (const url of [
      "/v1/keys/key_0355T6Z6Ayn4kwXL9yQr1x/rotate",
      "/v1/tokens/tok_0355T6Z6Ayn4kwXL9yQr1x/revoke",
      "/v1/keys?projectId=proj_0355T6Z6Ayn4kwXL9yQr1x&ownerId=user_42&limit=100",
      "/v1/webhooks/wh_0355T6Z6Ayn4kwXL9yQr1x/deliveries/evt_0355T6Z6Ayn4kwXL9yQr1x/retry",
    ]) {
      expect(redactUrl(url)).toBe(url);
    }
  });
});

describe("createLogger()", () => {
  it("logs a request's method, path and address with its URL redacted, and never its headers", () => {
    const lines: string[] = [];
    const logger = createLogger({ logLevel: "info" }, { write: (line: string) => void lines.push(line) });
    logger.info(
      {
        req: {
          method: "GET",
          url: `/v1/keys/${KEY}?token=${TOKEN}`,
          host: "api.example.com",
          ip: "203.0.113.7",
          socket: { remotePort: 5123 },
          headers: { authorization: `Bearer ${TOKEN}`, "x-api-key": KEY },
        },
      },
      "incoming request",
    );
    const entry = JSON.parse(lines[0] ?? "{}") as { req: Record<string, unknown> };
    expect(entry.req).toEqual({
      method: "GET",
      url: "/v1/keys/[redacted]?token=[redacted]",
      host: "api.example.com",
      remoteAddress: "203.0.113.7",
      remotePort: 5123,
    });
    expect(lines.join("")).not.toContain(KEY.slice(3));
    expect(lines.join("")).not.toContain(TOKEN.slice(4));
  });
});
