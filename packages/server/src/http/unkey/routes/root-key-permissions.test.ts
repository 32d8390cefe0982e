import { ForbiddenErrorResponse, NotFoundErrorResponse } from "@unkey/api/models/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectValidationError, mintToken } from "../../../../test/support/api-helpers.js";
import { rootPrincipal } from "../../../../test/support/session-helpers.js";
import { startUnkeyTarget, type UnkeyTarget } from "../../../../test/support/unkey-target.js";
import type { Principal } from "../../../services/principal.js";

// Root keys are Keyward admin tokens; minting one accepts Unkey's root key permission names and stores the
// Keyward permissions they map to (packages/core/src/unkey-permissions.ts).

let target: UnkeyTarget;
let root: Principal;
let projectA: string;
let projectB: string;

beforeAll(async () => {
  target = await startUnkeyTarget();
  root = await rootPrincipal(target.t);
  projectA = (await target.t.instance.projects.createProject(root, { name: "api-a" })).id;
  projectB = (await target.t.instance.projects.createProject(root, { name: "api-b" })).id;
});
afterAll(async () => {
  await target.close();
});

describe("POST /v1/tokens with Unkey root key permission names", () => {
  it("stores the mapped Keyward permissions, instance-wide for api.*", async () => {
    const created = await mintToken(target.t, ["api.*.create_key", "api.*.verify_key"]);
    expect(created.permissions).toEqual(["keys:create", "keys:rotate", "keys:verify"]);
    expect(created.projectIds).toBeNull();
  });

  it("lets an api.*.create_key + api.*.verify_key root key create, reroll and verify keys, and nothing more", async () => {
    const unkey = target.clientWith(
      (await mintToken(target.t, ["api.*.create_key", "api.*.verify_key"])).token,
    );
    const { data: made } = await unkey.keys.createKey({ apiId: projectA, prefix: "sk" });
    expect((await unkey.keys.verifyKey({ key: made.key })).data.valid).toBe(true);
    const { data: rerolled } = await unkey.keys.rerollKey({ keyId: made.keyId, expiration: 0 });
    expect((await unkey.keys.verifyKey({ key: rerolled.key })).data.valid).toBe(true);
    await expect(unkey.keys.getKey({ keyId: made.keyId })).rejects.toBeInstanceOf(ForbiddenErrorResponse);
    await expect(unkey.keys.deleteKey({ keyId: made.keyId })).rejects.toBeInstanceOf(ForbiddenErrorResponse);
  });

  it("limits an api.<apiId>.read_key root key to that API's keys", async () => {
    const { record: keyA } = await target.t.instance.keys.createKey(root, { projectId: projectA });
    const { record: keyB } = await target.t.instance.keys.createKey(root, { projectId: projectB });
    const created = await mintToken(target.t, [`api.${projectA}.read_key`]);
    expect(created).toMatchObject({ permissions: ["keys:read"], projectIds: [projectA] });
    const unkey = target.clientWith(created.token);

    const listed = await unkey.apis.listKeys({ apiId: projectA });
    expect(listed.result.data.map((k) => k.keyId)).toContain(keyA.id);
    expect((await unkey.keys.getKey({ keyId: keyA.id })).data.keyId).toBe(keyA.id);
    await expect(unkey.apis.listKeys({ apiId: projectB })).rejects.toBeInstanceOf(NotFoundErrorResponse);
    await expect(unkey.keys.getKey({ keyId: keyB.id })).rejects.toBeInstanceOf(NotFoundErrorResponse);
  });

  it("accepts projectIds that list exactly the api.<apiId> ids, and refuses others at /projectIds", async () => {
    const same = await mintToken(target.t, [`api.${projectA}.read_key`], { projectIds: [projectA] });
    expect(same.projectIds).toEqual([projectA]);
    const res = await target.t.request("POST", "/v1/tokens", {
      name: "t",
      permissions: [`api.${projectA}.read_key`],
      projectIds: [projectA, projectB],
    });
    expect(expectValidationError(res)).toEqual(["/projectIds"]);
  });

  it("refuses invalid Unkey names with 400, each by its index in the request", async () => {
    const res = await target.t.request("POST", "/v1/tokens", {
      name: "t",
      permissions: ["keys:read", "api.*.nope", "ratelimit.ns_1.limit", "api.*", "bad", "ratelimit.*.limit"],
    });
    expect(expectValidationError(res)).toEqual([
      "/permissions/1",
      "/permissions/2",
      "/permissions/3",
      "/permissions/4",
    ]);
  });

  it("refuses api.* mixed with api.<apiId>, and APIs granted different actions, at the index", async () => {
    const mixed = await target.t.request("POST", "/v1/tokens", {
      name: "t",
      permissions: ["api.*.read_key", `api.${projectA}.read_key`],
    });
    expect(expectValidationError(mixed)).toEqual(["/permissions/1"]);
    const uneven = await target.t.request("POST", "/v1/tokens", {
      name: "t",
      permissions: [`api.${projectA}.read_key`, `api.${projectB}.read_key`, `api.${projectB}.verify_key`],
    });
    expect(expectValidationError(uneven)).toEqual(["/permissions/0"]);
    expect(uneven.json()).toMatchObject({ detail: expect.stringContaining("mint one token per API") });
  });

  it("refuses an api.<apiId> name for an API that does not exist", async () => {
    const res = await target.t.request("POST", "/v1/tokens", {
      name: "t",
      permissions: ["api.proj_missing.read_key"],
    });
    expect(expectValidationError(res)).toEqual(["/permissions"]);
  });

  it("still refuses, as 403, mapped permissions the minting token does not hold", async () => {
    const reader = await mintToken(target.t, ["tokens:write", "keys:read"]);
    const res = await target.t.request(
      "POST",
      "/v1/tokens",
      { name: "t", permissions: ["api.*.create_key"] },
      reader.token,
    );
    expect(res.statusCode).toBe(403);
  });
});
