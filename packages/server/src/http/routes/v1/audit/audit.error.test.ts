import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, expectValidationError } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";
import { AUDIT_LIMITS } from "../../../audit-schemas.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const CHECKPOINT = {
  seq: 1,
  hash: "a".repeat(64),
  at: "2026-11-28T09:00:00.000Z",
  keyId: "ed25519:0000000000000000",
  signature: "AAAA",
  kind: "periodic",
};

describe("audit errors", () => {
  it("answers CONFLICT when asked for a checkpoint of an empty log, and verifies the empty log as intact", async () => {
    const res = await t.request("POST", "/v1/audit/checkpoints");
    expect(expectProblem(res, 409, "CONFLICT").detail).toBe("The audit log has no entry to checkpoint yet.");
    const verdict = await t.request("GET", "/v1/audit/verify");
    expect(verdict.json()).toEqual({
      ok: true,
      entries: 0,
      checkpoints: 0,
      head: { seq: 0, hash: "0".repeat(64) },
    });
  });

  it("refuses bad filters, page sizes, orders, times and cursors, naming the field", async () => {
    const notOurs = Buffer.from("key_1", "utf8").toString("base64url");
    const cases: Array<[string, string]> = [
      ["?limit=0", "/limit"],
      ["?limit=1001", "/limit"],
      ["?limit=ten", "/limit"],
      ["?order=sideways", "/order"],
      ["?from=yesterday", "/from"],
      ["?to=2026-13-01T00:00:00Z", "/to"],
      ["?from=2026-11-28T09:00:00", "/from"],
      ["?from=2026-11-28T23:59:60Z", "/from"],
      ["?from=2026-11-28T10:00:00Z&to=2026-11-28T09:00:00Z", "/to"],
      ["?cursor=%21%21", "/cursor"],
      [`?cursor=${notOurs}`, "/cursor"],
      ["?count=maybe", "/count"],
      ["?actorId=", "/actorId"],
      [`?action=${"a".repeat(AUDIT_LIMITS.actionLength + 1)}`, "/action"],
      [`?targetId=${"t".repeat(AUDIT_LIMITS.targetIdLength + 1)}`, "/targetId"],
      [`?projectId=${"p".repeat(65)}`, "/projectId"],
      ["?unknown=1", "/unknown"],
    ];
    for (const [query, pointer] of cases) {
      const pointers = expectValidationError(await t.request("GET", `/v1/audit${query}`));
      expect(pointers, query).toEqual([pointer]);
    }
  });

  it("refuses an exported checkpoint file of the wrong shape, naming the field", async () => {
    const cases: Array<[unknown, string]> = [
      [{ publicKeys: [] }, "/checkpoints"],
      [{ publicKeys: [], checkpoints: [{ ...CHECKPOINT, hash: "not hex" }] }, "/checkpoints/0/hash"],
      [{ publicKeys: [], checkpoints: [{ ...CHECKPOINT, seq: 0 }] }, "/checkpoints/0/seq"],
      [{ publicKeys: [], checkpoints: [{ ...CHECKPOINT, at: 1795856400000 }] }, "/checkpoints/0/at"],
      [{ publicKeys: [], checkpoints: [{ ...CHECKPOINT, at: "2026-11-28T23:59:60Z" }] }, "/checkpoints/0/at"],
      [{ publicKeys: [], checkpoints: [{ ...CHECKPOINT, kind: "forged" }] }, "/checkpoints/0/kind"],
      [{ publicKeys: [], checkpoints: [{ ...CHECKPOINT, extra: 1 }] }, "/checkpoints/0/extra"],
      [{ publicKeys: [{ keyId: "k" }], checkpoints: [] }, "/publicKeys/0/publicKey"],
      [{ publicKeys: [], checkpoints: [], note: "x" }, "/note"],
    ];
    for (const [body, pointer] of cases) {
      const pointers = expectValidationError(await t.request("POST", "/v1/audit/verify", body));
      expect(pointers, JSON.stringify(body)).toEqual([pointer]);
    }
  });

  it("bounds the number of checkpoints and public keys a verification takes", async () => {
    const tooMany = Array.from({ length: AUDIT_LIMITS.checkpoints + 1 }, () => CHECKPOINT);
    const res = await t.request("POST", "/v1/audit/verify", { publicKeys: [], checkpoints: tooMany });
    expect(expectValidationError(res)).toEqual(["/checkpoints"]);
    const keys = Array.from({ length: AUDIT_LIMITS.publicKeys + 1 }, () => ({ keyId: "k", publicKey: "p" }));
    const manyKeys = await t.request("POST", "/v1/audit/verify", { publicKeys: keys, checkpoints: [] });
    expect(expectValidationError(manyKeys)).toEqual(["/publicKeys"]);
    const huge = JSON.stringify({
      publicKeys: [],
      checkpoints: [],
      pad: "x".repeat(AUDIT_LIMITS.verifyBodyBytes),
    });
    const tooLarge = await t.app.inject({
      method: "POST",
      url: "/v1/audit/verify",
      headers: { authorization: `Bearer ${t.rootToken}`, "content-type": "application/json" },
      payload: huge,
    });
    expectProblem(tooLarge, 413, "PAYLOAD_TOO_LARGE");
  });

  it("refuses a body that is not JSON", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/v1/audit/verify",
      headers: { authorization: `Bearer ${t.rootToken}`, "content-type": "text/plain" },
      payload: "checkpoints",
    });
    expectProblem(res, 415, "UNSUPPORTED_MEDIA_TYPE");
  });
});
