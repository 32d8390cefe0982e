import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createProject,
  expectProblem,
  mintToken,
  verifyKey,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
let projectA: string;
let projectB: string;
let alertA: string;
let alertB: string;

beforeAll(async () => {
  t = await createTestApp();
  projectA = await createProject(t, { name: "a", keyPrefix: "pa" });
  projectB = await createProject(t, { name: "b", keyPrefix: "pb" });
  for (const projectId of [projectA, projectB]) {
    const canary = await createKey(t, { projectId, canary: true });
    await verifyKey(t, canary.key);
  }
  await t.instance.anomalies.flush();
  const all = (await t.request("GET", "/v1/alerts")).json() as {
    items: Array<{ id: string; projectId: string }>;
  };
  alertA = all.items.find((a) => a.projectId === projectA)?.id ?? "";
  alertB = all.items.find((a) => a.projectId === projectB)?.id ?? "";
});
afterAll(async () => {
  await t.close();
});

describe("alerts security", () => {
  it("needs alerts:read to list and alerts:write to acknowledge", async () => {
    const keysOnly = (await mintToken(t, ["keys:*"])).token;
    const readOnly = (await mintToken(t, ["alerts:read"])).token;
    expectProblem(await t.request("GET", "/v1/alerts", undefined, keysOnly), 403, "FORBIDDEN");
    expectProblem(await t.request("POST", `/v1/alerts/${alertA}/ack`, undefined, keysOnly), 403, "FORBIDDEN");
    expect((await t.request("GET", "/v1/alerts", undefined, readOnly)).statusCode).toBe(200);
    expectProblem(await t.request("POST", `/v1/alerts/${alertA}/ack`, undefined, readOnly), 403, "FORBIDDEN");
    expectProblem(await t.request("GET", "/v1/alerts", undefined, null), 401, "UNAUTHORIZED");
  });

  it("shows a project-scoped token only its projects' alerts, and hides the others as absent", async () => {
    const limited = (await mintToken(t, ["alerts:*"], { projectIds: [projectA] })).token;
    const mine = (await t.request("GET", "/v1/alerts", undefined, limited)).json() as {
      items: Array<{ id: string }>;
    };
    expect(mine.items.map((a) => a.id)).toEqual([alertA]);
    const asked = await t.request("GET", `/v1/alerts?projectId=${projectB}`, undefined, limited);
    expect(asked.json()).toEqual({ items: [], nextCursor: null });
    expectProblem(await t.request("POST", `/v1/alerts/${alertB}/ack`, undefined, limited), 404, "NOT_FOUND");
    expect((await t.request("GET", `/v1/alerts?acknowledged=true`)).json().items).toEqual([]);
    expect((await t.request("POST", `/v1/alerts/${alertA}/ack`, undefined, limited)).statusCode).toBe(200);
  });

  it("never puts a key's plaintext in an alert", async () => {
    const projectId = await createProject(t, { name: "c", keyPrefix: "pc" });
    const canary = await createKey(t, { projectId, canary: true });
    await verifyKey(t, canary.key);
    await t.instance.anomalies.flush();
    const body = (await t.request("GET", `/v1/alerts?projectId=${projectId}`)).body;
    expect(body).toContain(canary.id);
    expect(body).not.toContain(canary.key);
    expect(body).not.toContain(canary.start);
  });
});
