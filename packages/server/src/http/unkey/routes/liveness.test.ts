import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUnkeyTarget, type UnkeyTarget } from "../../../../test/support/unkey-target.js";

let target: UnkeyTarget;
beforeAll(async () => {
  target = await startUnkeyTarget();
});
afterAll(async () => {
  await target.close();
});

describe("GET /v2/liveness", () => {
  it("answers Unkey's envelope without credentials", async () => {
    const res = await fetch(`${target.baseUrl}/v2/liveness`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as { meta: { requestId: string }; data: { message: string } };
    expect(body.data).toEqual({ message: "OK" });
    expect(body.meta.requestId).toMatch(/^req_/);
  });
});
