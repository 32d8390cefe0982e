import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createProject,
  expectProblem,
  mintToken,
  rawResponse,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
let rootId: string;
let projectA: string;
let projectB: string;
beforeAll(async () => {
  t = await createTestApp();
  projectA = await createProject(t, { name: "a" });
  projectB = await createProject(t, { name: "b" });
  const list = await t.request("GET", "/v1/tokens?limit=100");
  rootId =
    (list.json().items as Array<{ id: string; name: string }>).find((x) => x.name === "root")?.id ?? "";
});
afterAll(async () => {
  await t.close();
});

const forbidden = (res: LightMyRequestResponse) => expectProblem(res, 403, "FORBIDDEN");

describe("authentication", () => {
  it("answers 401 on every tokens route without a token, with a garbage one and with a revoked one", async () => {
    const revoked = await mintToken(t, ["tokens:*"]);
    await t.request("POST", `/v1/tokens/${revoked.id}/revoke`, {});
    const routes: Array<{ method: "GET" | "POST"; url: string; body?: unknown }> = [
      { method: "POST", url: "/v1/tokens", body: { name: "x", permissions: ["keys:read"] } },
      { method: "GET", url: "/v1/tokens" },
      { method: "POST", url: `/v1/tokens/${rootId}/revoke`, body: {} },
    ];
    for (const route of routes) {
      for (const token of [null, "kwr_garbage", revoked.token]) {
        const res = await t.request(route.method, route.url, route.body, token);
        expectProblem(res, 401, "UNAUTHORIZED");
      }
    }
    expect((await t.request("GET", "/v1/tokens")).statusCode).toBe(200);
  });
});

describe("minting", () => {
  it("needs tokens:write, and tokens:read to list", async () => {
    const reader = (await mintToken(t, ["tokens:read", "keys:read"])).token;
    forbidden(await t.request("POST", "/v1/tokens", { name: "x", permissions: ["keys:read"] }, reader));
    forbidden(await t.request("POST", `/v1/tokens/${rootId}/revoke`, {}, reader));
    const writer = (await mintToken(t, ["tokens:write"])).token;
    forbidden(await t.request("GET", "/v1/tokens", undefined, writer));
  });

  it("refuses to mint a token with a permission the caller does not hold", async () => {
    const caller = (await mintToken(t, ["tokens:write", "keys:read"])).token;
    for (const permissions of [
      ["keys:create"],
      ["keys:read", "keys:verify"],
      ["keys:*"],
      ["*"],
      ["tokens:read"],
    ]) {
      forbidden(await t.request("POST", "/v1/tokens", { name: "wider", permissions }, caller));
    }
    expect(
      (await t.request("POST", "/v1/tokens", { name: "same", permissions: ["keys:read"] }, caller))
        .statusCode,
    ).toBe(201);
  });

  it("refuses to mint a wildcard wider than the caller's", async () => {
    const caller = (await mintToken(t, ["tokens:write", "keys:*"])).token;
    forbidden(await t.request("POST", "/v1/tokens", { name: "all", permissions: ["*"] }, caller));
    forbidden(await t.request("POST", "/v1/tokens", { name: "proj", permissions: ["projects:*"] }, caller));
    const same = await t.request(
      "POST",
      "/v1/tokens",
      { name: "keys", permissions: ["keys:*", "keys:read"] },
      caller,
    );
    expect(same.statusCode, same.body).toBe(201);
  });

  it("refuses to let a token limited to project A mint a token for all projects or for project B", async () => {
    const caller = (await mintToken(t, ["*"], { projectIds: [projectA] })).token;
    const base = { name: "escape", permissions: ["keys:read"] };
    forbidden(await t.request("POST", "/v1/tokens", base, caller));
    forbidden(await t.request("POST", "/v1/tokens", { ...base, projectIds: null }, caller));
    forbidden(await t.request("POST", "/v1/tokens", { ...base, projectIds: [projectB] }, caller));
    forbidden(await t.request("POST", "/v1/tokens", { ...base, projectIds: [projectA, projectB] }, caller));
    const inside = await t.request("POST", "/v1/tokens", { ...base, projectIds: [projectA] }, caller);
    expect(inside.statusCode, inside.body).toBe(201);
  });

  it("does not reveal which projects exist to a limited token minting outside its projects", async () => {
    const caller = (await mintToken(t, ["*"], { projectIds: [projectA] })).token;
    const base = { name: "probe", permissions: ["keys:read"] };
    const existing = await t.request("POST", "/v1/tokens", { ...base, projectIds: [projectB] }, caller);
    const missing = await t.request("POST", "/v1/tokens", { ...base, projectIds: ["proj_missing"] }, caller);
    expect(existing.statusCode).toBe(403);
    expect(missing.statusCode).toBe(403);
  });
});

describe("revoking", () => {
  it("refuses to let a limited token revoke the root token, which keeps working", async () => {
    const limited = (await mintToken(t, ["*"], { projectIds: [projectA] })).token;
    forbidden(await t.request("POST", `/v1/tokens/${rootId}/revoke`, {}, limited));
    const narrower = (await mintToken(t, ["tokens:write", "keys:*"])).token;
    forbidden(await t.request("POST", `/v1/tokens/${rootId}/revoke`, {}, narrower));
    expect((await t.request("GET", "/v1/tokens")).statusCode).toBe(200);
  });

  it("refuses to revoke a token with powers the caller does not hold", async () => {
    const target = await mintToken(t, ["keys:*"]);
    const caller = (await mintToken(t, ["tokens:write", "keys:read"])).token;
    forbidden(await t.request("POST", `/v1/tokens/${target.id}/revoke`, {}, caller));
    expect((await t.request("GET", "/v1/keys", undefined, target.token)).statusCode).toBe(200);
  });

  it("refuses to let a token limited to project A revoke a token of project B", async () => {
    const target = await mintToken(t, ["keys:read"], { projectIds: [projectB] });
    const caller = (await mintToken(t, ["*"], { projectIds: [projectA] })).token;
    forbidden(await t.request("POST", `/v1/tokens/${target.id}/revoke`, {}, caller));
    const own = await mintToken(t, ["keys:read"], { projectIds: [projectA] });
    expect((await t.request("POST", `/v1/tokens/${own.id}/revoke`, {}, caller)).statusCode).toBe(200);
  });
});

describe("plaintext tokens", () => {
  it("appear only in their create response", async () => {
    const minted = await mintToken(t, ["keys:read", "tokens:read"]);
    const responses = [
      await t.request("GET", "/v1/tokens?limit=100"),
      await t.request("GET", "/v1/tokens?limit=100", undefined, minted.token),
      await t.request("POST", "/v1/tokens", { name: minted.token, permissions: ["nope"] }),
      await t.request("POST", "/v1/tokens", { name: "x", permissions: [minted.token] }),
      await t.request("POST", "/v1/tokens", { name: "x", permissions: ["*"] }, minted.token),
      await t.request("GET", "/v1/keys", undefined, `${minted.token}0`),
      await t.request("POST", `/v1/tokens/${minted.id}/revoke`, {}),
      await t.request("GET", "/v1/keys", undefined, minted.token),
    ];
    for (const [index, res] of responses.entries()) {
      const raw = rawResponse(res);
      // The name and permissions of the 3rd and 4th requests echo nothing: validation names pointers only.
      expect(raw, `response ${index}`).not.toContain(minted.token);
      expect(raw, `response ${index}`).not.toContain(t.rootToken);
    }
  });
});

describe("listing", () => {
  it("shows a token limited to projects only the tokens within those projects, never the root token", async () => {
    const inA = await mintToken(t, ["keys:read"], { projectIds: [projectA] });
    const inB = await mintToken(t, ["keys:read"], { projectIds: [projectB] });
    const lister = await mintToken(t, ["tokens:read"], { projectIds: [projectA] });
    const res = await t.request("GET", "/v1/tokens?limit=100", undefined, lister.token);
    expect(res.statusCode).toBe(200);
    const ids = (res.json().items as Array<{ id: string }>).map((x) => x.id);
    expect(ids).toContain(inA.id);
    expect(ids).toContain(lister.id);
    expect(ids).not.toContain(inB.id);
    expect(ids).not.toContain(rootId);
  });
});
