import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createProject,
  expectProblem,
  expectValidationError,
  mintToken,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
let webhookId: string;
beforeAll(async () => {
  t = await createTestApp();
  const res = await create({});
  expect(res.statusCode, res.body).toBe(201);
  webhookId = res.json().id;
});
afterAll(async () => {
  await t.close();
});

const VALID = { url: "https://hooks.example.com/k", events: ["key.created"] };
const create = (body: Record<string, unknown>, token?: string) =>
  t.request("POST", "/v1/webhooks", { ...VALID, ...body }, token);
const MISSING_WEBHOOK = "wh_0000000000000000000000";

describe("POST /v1/webhooks validation", () => {
  it("names missing url and events, and a missing body", async () => {
    expect(expectValidationError(await t.request("POST", "/v1/webhooks", {}))).toEqual(
      expect.arrayContaining(["/url", "/events"]),
    );
    expectValidationError(await t.request("POST", "/v1/webhooks"));
  });

  it.each([
    ["an ftp URL", "ftp://hooks.example.com/k"],
    ["a relative URL", "/hooks/k"],
    ["credentials in the URL", "https://user:hunter2-token@hooks.example.com/k"],
    ["plain http to a non-loopback host", "http://hooks.example.com/k?token=leaky-query-value"],
    ["a fragment", "https://hooks.example.com/k#frag-value"],
  ])("refuses %s on /url without echoing the URL", async (_label, url) => {
    const res = await create({ url });
    expect(expectValidationError(res)).toEqual(["/url"]);
    const { detail, errors } = res.json() as { detail: string; errors: Array<{ detail: string }> };
    for (const text of [detail, ...errors.map((e) => e.detail)]) {
      expect(text).not.toContain("hooks.example.com");
      expect(text).not.toContain(url);
    }
    expect(res.body).not.toMatch(/hunter2|leaky-query-value|frag-value/);
  });

  it("refuses a URL over 2048 characters", async () => {
    const url = `https://hooks.example.com/${"a".repeat(2048)}`;
    expect(expectValidationError(await create({ url }))).toEqual(["/url"]);
  });

  it("names an unknown event type by its index", async () => {
    expect(expectValidationError(await create({ events: ["key.exploded"] }))).toEqual(["/events/0"]);
    expect(expectValidationError(await create({ events: ["*", "key.created", "keys.*"] }))).toEqual([
      "/events/2",
    ]);
  });

  it("refuses an empty event list, more than 20 events and over-long names", async () => {
    expect(expectValidationError(await create({ events: [] }))).toEqual(["/events"]);
    const many = Array.from({ length: 21 }, () => "key.created");
    expect(expectValidationError(await create({ events: many }))).toEqual(["/events"]);
    expect(expectValidationError(await create({ events: ["k".repeat(65)] }))).toEqual(["/events/0"]);
  });

  it.each([
    ["no whsec_ prefix", Buffer.alloc(32, 1).toString("base64")],
    ["too short a key", `whsec_${Buffer.alloc(16, 1).toString("base64")}`],
    ["too long a key", `whsec_${Buffer.alloc(65, 1).toString("base64")}`],
    ["base64url instead of base64", `whsec_${Buffer.alloc(32, 0xfb).toString("base64url")}`],
    ["junk in the base64", `whsec_${Buffer.alloc(32, 1).toString("base64").slice(0, 40)}!!!!`],
    ["over 200 characters", `whsec_${"A".repeat(200)}`],
  ])("refuses a secret with %s on /secret without echoing it", async (_label, secret) => {
    const res = await create({ secret });
    expect(expectValidationError(res)).toEqual(["/secret"]);
    expect(res.body).not.toContain(secret);
    expect(res.body).not.toContain(secret.slice(6, 30));
  });

  it("refuses a description over 255 characters, unknown fields and wrong types", async () => {
    expect(expectValidationError(await create({ description: "d".repeat(256) }))).toEqual(["/description"]);
    expect(expectValidationError(await create({ secrt: "whsec_x" }))).toEqual(["/secrt"]);
    expect(expectValidationError(await create({ enabled: "yes" }))).toEqual(["/enabled"]);
    expect(expectValidationError(await create({ events: "key.created" }))).toEqual(["/events"]);
  });

  it("answers 404 for a project that does not exist", async () => {
    expectProblem(await create({ projectId: "proj_0000000000000000000000" }), 404, "NOT_FOUND");
  });
});

describe("PATCH /v1/webhooks/{id} validation", () => {
  it("checks url and events as creation does, and leaves the webhook unchanged", async () => {
    const before = (await t.request("GET", `/v1/webhooks/${webhookId}`)).json();
    const patch = (body: unknown) => t.request("PATCH", `/v1/webhooks/${webhookId}`, body);
    expect(expectValidationError(await patch({ url: "ftp://hooks.example.com/" }))).toEqual(["/url"]);
    expect(expectValidationError(await patch({ url: "http://hooks.example.com/" }))).toEqual(["/url"]);
    expect(expectValidationError(await patch({ events: ["key.created", "nope"] }))).toEqual(["/events/1"]);
    expect(expectValidationError(await patch({ events: [] }))).toEqual(["/events"]);
    expect(expectValidationError(await patch({ secret: `whsec_${"A".repeat(44)}` }))).toEqual(["/secret"]);
    expect(expectValidationError(await patch({ projectId: "proj_x" }))).toEqual(["/projectId"]);
    expect((await t.request("GET", `/v1/webhooks/${webhookId}`)).json()).toEqual(before);
  });

  it("answers 404 for an unknown webhook", async () => {
    expectProblem(
      await t.request("PATCH", `/v1/webhooks/${MISSING_WEBHOOK}`, { enabled: false }),
      404,
      "NOT_FOUND",
    );
  });
});

describe("unknown webhooks and deliveries", () => {
  it("answer 404 NOT_FOUND on every route", async () => {
    expectProblem(await t.request("GET", `/v1/webhooks/${MISSING_WEBHOOK}`), 404, "NOT_FOUND");
    expectProblem(await t.request("DELETE", `/v1/webhooks/${MISSING_WEBHOOK}`), 404, "NOT_FOUND");
    expectProblem(await t.request("GET", `/v1/webhooks/${MISSING_WEBHOOK}/deliveries`), 404, "NOT_FOUND");
    expectProblem(
      await t.request("POST", `/v1/webhooks/${MISSING_WEBHOOK}/deliveries/evt_0000000000000000000000/retry`),
      404,
      "NOT_FOUND",
    );
  });

  it("answer 404 for an unknown delivery of a known webhook", async () => {
    const res = await t.request(
      "POST",
      `/v1/webhooks/${webhookId}/deliveries/evt_0000000000000000000000/retry`,
    );
    expectProblem(res, 404, "NOT_FOUND");
  });

  it("refuse over-long ids (400) instead of looking them up", async () => {
    expectValidationError(await t.request("GET", `/v1/webhooks/wh_${"x".repeat(100)}`));
  });
});

describe("list queries", () => {
  it("refuse a bad status, limit or cursor", async () => {
    const deliveries = `/v1/webhooks/${webhookId}/deliveries`;
    expect(expectValidationError(await t.request("GET", `${deliveries}?status=lost`))).toEqual(["/status"]);
    expect(expectValidationError(await t.request("GET", `${deliveries}?limit=0`))).toEqual(["/limit"]);
    expect(expectValidationError(await t.request("GET", `${deliveries}?cursor=%21%21`))).toEqual(["/cursor"]);
    expect(expectValidationError(await t.request("GET", "/v1/webhooks?limit=101"))).toEqual(["/limit"]);
    expect(expectValidationError(await t.request("GET", "/v1/webhooks?owner=x"))).toEqual(["/owner"]);
  });

  it("hide another project from a project-limited token: filtering by it lists nothing, creating in it is 404", async () => {
    const projectA = await createProject(t, { name: "err-a", keyPrefix: "ea" });
    const projectB = await createProject(t, { name: "err-b", keyPrefix: "eb" });
    const inB = (await create({ projectId: projectB })).json().id as string;
    const limited = (await mintToken(t, ["webhooks:read", "webhooks:write"], { projectIds: [projectA] }))
      .token;
    expectProblem(await create({ projectId: projectB }, limited), 404, "NOT_FOUND");
    expectProblem(await create({}, limited), 404, "NOT_FOUND");
    const listed = await t.request("GET", `/v1/webhooks?projectId=${projectB}`, undefined, limited);
    expect(listed.json()).toEqual({ items: [], nextCursor: null });
    expectProblem(await t.request("GET", `/v1/webhooks/${inB}`, undefined, limited), 404, "NOT_FOUND");
  });
});
