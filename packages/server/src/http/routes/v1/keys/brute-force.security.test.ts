import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createProject,
  expectProblem,
  mintToken,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";
import type { Principal } from "../../../../services/principal.js";

const LIMIT = 3;
const WINDOW_MS = 60_000;
const ROOT: Principal = { tokenId: "test-root", permissions: ["*"], projectIds: null };

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    env: { KEYWARD_BRUTE_FORCE_LIMIT: String(LIMIT), KEYWARD_BRUTE_FORCE_WINDOW_MS: String(WINDOW_MS) },
  });
});
afterAll(async () => {
  await t.close();
});

const verify = (body: Record<string, unknown>, token?: string) =>
  t.request("POST", "/v1/keys/verify", body, token);

/** A key that does not exist but is well formed, so each attempt is a real lookup. */
const guess = (n: number): string => `kw_${String(n).padStart(49, "0")}`;

/** Moves the clock to `offsetMs` into the next brute-force window. */
function toNextWindow(offsetMs: number): number {
  t.clock.advance(WINDOW_MS - (t.clock.now() % WINDOW_MS) + offsetMs);
  return t.clock.now() - offsetMs;
}

/** Lets the event append that a throttling starts in the background finish, without waiting on time. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("failed verifications from one source", () => {
  it("throttle that source with 429 and Retry-After after the limit, until the window ends", async () => {
    const windowStart = toNextWindow(1_500);
    const ip = "198.51.100.7";
    for (let n = 0; n < LIMIT; n++) {
      const res = await verify({ key: guess(n), ip });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ valid: false, code: "NOT_FOUND" });
    }
    const throttled = await verify({ key: guess(99), ip });
    const problem = expectProblem(throttled, 429, "TOO_MANY_FAILED_VERIFICATIONS");
    // 58.5 s are left in the window: rounded up, so a client never retries too early.
    expect(throttled.headers["retry-after"]).toBe("59");
    expect(problem.detail).not.toContain(guess(99));
    expect(rawOf(throttled)).not.toContain(guess(99));

    // A valid key from the throttled source is refused too: the source is throttled, not the key.
    const real = await createKey(t);
    expectProblem(await verify({ key: real.key, ip }), 429, "TOO_MANY_FAILED_VERIFICATIONS");
    t.clock.advance(57_000);
    expect((await verify({ key: real.key, ip })).headers["retry-after"]).toBe("2");

    t.clock.advance(windowStart + WINDOW_MS - t.clock.now());
    const after = await verify({ key: real.key, ip });
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json().code).toBe("VALID");
  });

  it("leave other sources alone, the HTTP caller's address counting when the body names no ip", async () => {
    toNextWindow(0);
    for (let n = 0; n < LIMIT + 1; n++) await verify({ key: guess(n), ip: "203.0.113.66" });
    expectProblem(await verify({ key: guess(0), ip: "203.0.113.66" }), 429, "TOO_MANY_FAILED_VERIFICATIONS");
    expect((await verify({ key: guess(0), ip: "203.0.113.67" })).statusCode).toBe(200);
    expect((await verify({ key: guess(0), ip: "2001:db8::66" })).statusCode).toBe(200);

    // Without `ip`, the caller's own address (127.0.0.1 for injected requests) is the source.
    for (let n = 0; n < LIMIT; n++) expect((await verify({ key: guess(n) })).statusCode).toBe(200);
    const caller = await verify({ key: guess(0) });
    expectProblem(caller, 429, "TOO_MANY_FAILED_VERIFICATIONS");
    expect(Number(caller.headers["retry-after"])).toBeGreaterThan(0);
    expect((await verify({ key: guess(0), ip: "203.0.113.68" })).statusCode).toBe(200);
  });

  it("are not counted for answers other than NOT_FOUND", async () => {
    toNextWindow(0);
    const ip = "198.51.100.99";
    const revoked = await createKey(t, { scopes: ["a"] });
    await t.request("POST", `/v1/keys/${revoked.id}/revoke`, {});
    const scoped = await createKey(t, { scopes: ["a"] });
    for (let n = 0; n < LIMIT * 3; n++) {
      expect((await verify({ key: revoked.key, ip })).json().code).toBe("REVOKED");
      expect((await verify({ key: scoped.key, ip, scopes: ["b"] })).json().code).toBe("INSUFFICIENT_SCOPE");
    }
    expect((await verify({ key: guess(1), ip })).statusCode).toBe(200);
  });

  it("queue one verify.brute_force event naming the source for the project's webhooks", async () => {
    toNextWindow(0);
    const { record } = await t.instance.webhooks.createWebhook(ROOT, {
      url: "https://hooks.example.com/keyward",
      events: ["*"],
    });
    await claimAll();
    const ip = "192.0.2.200";
    for (let n = 0; n < LIMIT + 3; n++) await verify({ key: guess(n), ip });
    await settle();
    const events = (await claimAll()).filter(
      (d) => d.webhookId === record.id && d.eventType === "verify.brute_force",
    );
    expect(events).toHaveLength(1);
    const payload = JSON.parse(events[0]?.payload ?? "{}");
    expect(payload).toMatchObject({
      type: "verify.brute_force",
      data: { source: { kind: "ip", id: ip }, limit: LIMIT, windowMs: WINDOW_MS },
    });
    expect(JSON.stringify(payload)).not.toContain(guess(0));
  });

  it("queue the event in the verifying token's project when it is limited to one", async () => {
    toNextWindow(0);
    const projectId = await createProject(t, { name: "guarded" });
    const verifier = (await mintToken(t, ["keys:verify"], { projectIds: [projectId] })).token;
    const { record } = await t.instance.webhooks.createWebhook(ROOT, {
      projectId,
      url: "https://hooks.example.com/guarded",
      events: ["verify.brute_force"],
    });
    await claimAll();
    for (let n = 0; n < LIMIT + 1; n++) await verify({ key: guess(n), ip: "192.0.2.201" }, verifier);
    await settle();
    const events = (await claimAll()).filter((d) => d.webhookId === record.id);
    expect(events.map((d) => d.eventType)).toContain("verify.brute_force");
  });
});

function rawOf(res: { headers: Record<string, unknown>; body: string }): string {
  return `${JSON.stringify(res.headers)}\n${res.body}`;
}

function claimAll() {
  return t.instance.stores.webhooks.claimDeliveries({
    nowMs: t.clock.now(),
    leaseUntilMs: Number.MAX_SAFE_INTEGER,
    limit: 10_000,
  });
}
