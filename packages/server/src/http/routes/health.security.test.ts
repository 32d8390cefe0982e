import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, mintToken, rawResponse } from "../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const PUBLIC = ["/healthz", "/readyz", "/openapi.json"];

describe("public routes", () => {
  it("answer the same with no token, a garbage one, a revoked one or the root token", async () => {
    const revoked = await mintToken(t, ["keys:read"]);
    await t.request("POST", `/v1/tokens/${revoked.id}/revoke`, {});
    for (const url of PUBLIC) {
      const bodies = new Set<string>();
      for (const token of [null, "garbage", revoked.token, t.rootToken]) {
        const res = await t.request("GET", url, undefined, token);
        expect(res.statusCode, `${url} with ${token}`).toBe(200);
        expect(res.headers["www-authenticate"]).toBeUndefined();
        bodies.add(res.body);
      }
      expect(bodies.size, url).toBe(1);
    }
  });

  it("never carry a key or token", async () => {
    const created = await createKey(t);
    const minted = await mintToken(t, ["*"]);
    for (const url of PUBLIC) {
      const raw = rawResponse(await t.request("GET", url, undefined, minted.token));
      for (const secret of [created.key, minted.token, t.rootToken]) expect(raw, url).not.toContain(secret);
    }
  });
});
