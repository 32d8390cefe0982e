import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, expectProblem, expectValidationError } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const iso = (ms: number): string => new Date(ms).toISOString();

/** Sends a raw body with the given content type (or none) and the root token. */
function send(method: "POST" | "PATCH", url: string, payload: string, contentType: string | null) {
  return t.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${t.rootToken}`,
      ...(contentType === null ? {} : { "content-type": contentType }),
    },
    payload,
  });
}

/** A JSON value nested `levels` deep: {"a":{"a":...1}}. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe("POST /v1/keys validation", () => {
  it("names an unknown field by its pointer", async () => {
    const pointers = expectValidationError(await t.request("POST", "/v1/keys", { nmae: "typo" }));
    expect(pointers).toEqual(["/nmae"]);
  });

  it("names every field of the wrong type at once", async () => {
    const pointers = expectValidationError(
      await t.request("POST", "/v1/keys", {
        projectId: 7,
        name: 5,
        ownerId: true,
        scopes: "a",
        meta: [],
        expiresAt: 12,
        enabled: "yes",
      }),
    );
    for (const field of ["projectId", "name", "ownerId", "scopes", "meta", "expiresAt", "enabled"]) {
      expect(pointers, field).toContain(`/${field}`);
    }
  });

  it("refuses a name over 255 characters and an ownerId over 255", async () => {
    const pointers = expectValidationError(
      await t.request("POST", "/v1/keys", { name: "n".repeat(256), ownerId: "o".repeat(256) }),
    );
    expect(pointers).toContain("/name");
    expect(pointers).toContain("/ownerId");
    await createKey(t, { name: "n".repeat(255), ownerId: "o".repeat(255) });
  });

  it("refuses more than 100 scopes", async () => {
    const scopes = Array.from({ length: 101 }, (_, i) => `s${i}`);
    expect(expectValidationError(await t.request("POST", "/v1/keys", { scopes }))).toEqual(["/scopes"]);
    await createKey(t, { scopes: scopes.slice(0, 100) });
  });

  it("names each scope with invalid characters or a misplaced wildcard", async () => {
    const scopes = ["ok:read", "has space", "a*", "*:a", "a:*:b", "ümlaut", "", "x".repeat(129), "fine.-_:*"];
    const pointers = expectValidationError(await t.request("POST", "/v1/keys", { scopes }));
    // The schema catches empty and over-long scopes first; the scope rules name the rest once the schema passes.
    expect(pointers).toEqual(expect.arrayContaining(["/scopes/6", "/scopes/7"]));
    const schemaClean = scopes.filter((s) => s.length > 0 && s.length <= 128);
    const rest = expectValidationError(await t.request("POST", "/v1/keys", { scopes: schemaClean }));
    expect(rest).toEqual(["/scopes/1", "/scopes/2", "/scopes/3", "/scopes/4", "/scopes/5"]);
  });

  it("refuses meta over 8 KiB of JSON", async () => {
    const meta = { blob: "x".repeat(8 * 1024) };
    expect(expectValidationError(await t.request("POST", "/v1/keys", { meta }))).toEqual(["/meta"]);
    await createKey(t, { meta: { blob: "x".repeat(8 * 1024 - 20) } });
  });

  it("refuses meta nested deeper than 16 levels", async () => {
    expect(expectValidationError(await t.request("POST", "/v1/keys", { meta: nested(17) }))).toEqual([
      "/meta",
    ]);
    await createKey(t, { meta: nested(16) });
  });

  it("refuses meta nested 10,000 levels with a 400, not a stack overflow", async () => {
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    const res = await send("POST", "/v1/keys", `{"meta":{"a":${deep}}}`, "application/json");
    expect(expectValidationError(res)).toEqual(["/meta"]);
  });

  it("refuses a meta property name over 256 characters", async () => {
    const res = await t.request("POST", "/v1/keys", { meta: { ["k".repeat(257)]: 1 } });
    expect(expectValidationError(res)).toContain("/meta");
    await createKey(t, { meta: { ["k".repeat(256)]: 1 } });
  });

  it("refuses an expiresAt in the past or exactly now", async () => {
    for (const expiresAt of [iso(t.clock.now() - 1), iso(t.clock.now()), "1970-01-01T00:00:00Z"]) {
      const res = await t.request("POST", "/v1/keys", { expiresAt });
      expect(expectValidationError(res), expiresAt).toEqual(["/expiresAt"]);
    }
  });

  it("refuses an expiresAt that is not an RFC 3339 date-time", async () => {
    for (const expiresAt of [
      "tomorrow",
      "2030-13-01T00:00:00Z",
      "2030-02-30T00:00:00Z",
      "2030-01-01",
      "2030-01-01T00:00:00",
      "2030-12-31T23:59:60Z",
      `2030-01-01T00:00:00.${"0".repeat(40)}Z`,
    ]) {
      const res = await t.request("POST", "/v1/keys", { expiresAt });
      expect(expectValidationError(res), expiresAt).toEqual(["/expiresAt"]);
    }
  });

  it("refuses an expiresAt whose offset puts it past year 9999 or before year 0 in UTC", async () => {
    // Once stored, such an instant failed the date-time response schema: every read of the key was a 500.
    const created = await createKey(t);
    const late = await t.request("POST", "/v1/keys", { expiresAt: "9999-12-31T23:59:59-23:59" });
    expect(expectValidationError(late)).toEqual(["/expiresAt"]);
    const early = await t.request("PATCH", `/v1/keys/${created.id}`, {
      expiresAt: "0000-01-01T00:00:00+00:01",
    });
    expect(expectValidationError(early)).toEqual(["/expiresAt"]);
    const edge = await t.request("PATCH", `/v1/keys/${created.id}`, { expiresAt: "9999-12-31T23:59:59Z" });
    expect(edge.json()).toMatchObject({ expiresAt: "9999-12-31T23:59:59.000Z" });
    expect((await t.request("GET", "/v1/keys?limit=100")).statusCode).toBe(200);
  });

  it("refuses a projectId that is empty or over 64 characters", async () => {
    expect(expectValidationError(await t.request("POST", "/v1/keys", { projectId: "" }))).toEqual([
      "/projectId",
    ]);
    expect(expectValidationError(await t.request("POST", "/v1/keys", { projectId: "p".repeat(65) }))).toEqual(
      ["/projectId"],
    );
  });

  it("answers NOT_FOUND for a projectId that names no project", async () => {
    expectProblem(await t.request("POST", "/v1/keys", { projectId: "proj_missing" }), 404, "NOT_FOUND");
  });
});

describe("request bodies", () => {
  it("refuses invalid JSON with INVALID_JSON", async () => {
    for (const payload of ["{", '{"name": }', "{'name': 'x'}", "nul", '{"a":1}{"b":2}']) {
      expectProblem(await send("POST", "/v1/keys", payload, "application/json"), 400, "INVALID_JSON");
    }
  });

  it("treats an empty application/json body as no body: VALIDATION_ERROR where a body is required", async () => {
    expect(expectValidationError(await send("POST", "/v1/keys/verify", "", "application/json"))).toEqual([
      "/",
    ]);
    expect(expectValidationError(await send("PATCH", `/v1/keys/${"key_x"}`, "", "application/json"))).toEqual(
      ["/"],
    );
  });

  it("accepts an empty body where every field is optional (create, revoke)", async () => {
    const created = await send("POST", "/v1/keys", "", "application/json");
    expect(created.statusCode).toBe(201);
    const revoked = await send("POST", `/v1/keys/${created.json().id}/revoke`, "", "application/json");
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
  });

  it("refuses a JSON body that is not an object", async () => {
    for (const payload of ["null", "42", '"text"', "[]", "true"]) {
      expect(expectValidationError(await send("POST", "/v1/keys", payload, "application/json"))).toEqual([
        "/",
      ]);
    }
  });

  it("refuses __proto__ and constructor.prototype keys as INVALID_JSON", async () => {
    for (const payload of ['{"__proto__":{"admin":true}}', '{"meta":{"constructor":{"prototype":{}}}}']) {
      expectProblem(await send("POST", "/v1/keys", payload, "application/json"), 400, "INVALID_JSON");
    }
  });

  it("refuses any content type but JSON with 415 UNSUPPORTED_MEDIA_TYPE", async () => {
    for (const contentType of [
      "text/plain",
      "application/xml",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/jsonx",
      null,
    ]) {
      const res = await send("POST", "/v1/keys", "{}", contentType);
      expectProblem(res, 415, "UNSUPPORTED_MEDIA_TYPE");
    }
  });

  it("accepts application/json with a charset parameter", async () => {
    const res = await send("POST", "/v1/keys", "{}", "application/json; charset=utf-8");
    expect(res.statusCode, res.body).toBe(201);
  });

  it("refuses a body over the limit with 413 PAYLOAD_TOO_LARGE", async () => {
    // One byte over the default KEYWARD_BODY_LIMIT_BYTES of 64 KiB is enough; this is well over.
    const payload = JSON.stringify({ name: "x".repeat(64 * 1024) });
    expectProblem(await send("POST", "/v1/keys", payload, "application/json"), 413, "PAYLOAD_TOO_LARGE");
    expectProblem(
      await send("PATCH", "/v1/keys/key_missing", payload, "application/json"),
      413,
      "PAYLOAD_TOO_LARGE",
    );
  });
});

describe("GET /v1/keys/{id} and GET /v1/keys", () => {
  it("answers NOT_FOUND for an unknown id", async () => {
    expectProblem(await t.request("GET", "/v1/keys/key_0000000000000000000000"), 404, "NOT_FOUND");
  });

  it("refuses an id over 64 characters", async () => {
    expect(expectValidationError(await t.request("GET", `/v1/keys/${"k".repeat(65)}`))).toEqual(["/id"]);
  });

  it("refuses a cursor that is not one of ours", async () => {
    for (const cursor of ["not-a-cursor!", "____", "%F0%9F%98%80", "a".repeat(101), "QQ=="]) {
      const res = await t.request("GET", `/v1/keys?cursor=${cursor}`);
      expect(expectValidationError(res), cursor).toEqual(["/cursor"]);
    }
  });

  it("refuses a limit of 0, 101, a fraction or text", async () => {
    for (const limit of ["0", "101", "1.5", "ten", "-1"]) {
      expect(expectValidationError(await t.request("GET", `/v1/keys?limit=${limit}`)), limit).toEqual([
        "/limit",
      ]);
    }
  });

  it("refuses an unknown query parameter", async () => {
    expect(expectValidationError(await t.request("GET", "/v1/keys?owner=x"))).toEqual(["/owner"]);
  });
});

describe("PATCH /v1/keys/{id}", () => {
  it("answers NOT_FOUND for an unknown id", async () => {
    expectProblem(await t.request("PATCH", "/v1/keys/key_missing", { name: "x" }), 404, "NOT_FOUND");
  });

  it("answers CONFLICT for a revoked key and leaves it unchanged", async () => {
    const created = await createKey(t, { name: "kept" });
    await t.request("POST", `/v1/keys/${created.id}/revoke`, {});
    expectProblem(await t.request("PATCH", `/v1/keys/${created.id}`, { name: "changed" }), 409, "CONFLICT");
    expect((await t.request("GET", `/v1/keys/${created.id}`)).json()).toMatchObject({ name: "kept" });
  });

  it("validates like create: unknown fields, types, scopes, meta and dates", async () => {
    const created = await createKey(t);
    const pointers = expectValidationError(
      await t.request("PATCH", `/v1/keys/${created.id}`, {
        projectId: "moved",
        enabled: 1,
        expiresAt: "soon",
      }),
    );
    expect(pointers).toEqual(expect.arrayContaining(["/projectId", "/enabled", "/expiresAt"]));
    expect(
      expectValidationError(await t.request("PATCH", `/v1/keys/${created.id}`, { scopes: ["bad scope"] })),
    ).toEqual(["/scopes/0"]);
    expect(
      expectValidationError(await t.request("PATCH", `/v1/keys/${created.id}`, { meta: nested(20) })),
    ).toEqual(["/meta"]);
    expect(
      expectValidationError(
        await t.request("PATCH", `/v1/keys/${created.id}`, { expiresAt: "2030-02-30T00:00:00Z" }),
      ),
    ).toEqual(["/expiresAt"]);
  });

  it("refuses a missing body", async () => {
    const created = await createKey(t);
    const res = await t.app.inject({
      method: "PATCH",
      url: `/v1/keys/${created.id}`,
      headers: { authorization: `Bearer ${t.rootToken}` },
    });
    expect(expectValidationError(res)).toEqual(["/"]);
  });
});

describe("POST /v1/keys/{id}/revoke", () => {
  it("answers NOT_FOUND for an unknown id", async () => {
    expectProblem(await t.request("POST", "/v1/keys/key_missing/revoke", {}), 404, "NOT_FOUND");
  });

  it("refuses a reason over 500 characters and unknown fields", async () => {
    const created = await createKey(t);
    const pointers = expectValidationError(
      await t.request("POST", `/v1/keys/${created.id}/revoke`, { reason: "r".repeat(501), why: "x" }),
    );
    expect(pointers).toEqual(expect.arrayContaining(["/reason", "/why"]));
  });
});

describe("POST /v1/keys/verify", () => {
  it("refuses an ip that is not an IPv4 or IPv6 address", async () => {
    for (const ip of ["999.1.1.1", "localhost", "1.2.3", "::g", "1.2.3.4/24"]) {
      const res = await t.request("POST", "/v1/keys/verify", { key: "kw_x", ip });
      expect(expectValidationError(res), ip).toEqual(["/ip"]);
    }
  });

  it("names a missing key, an over-long key and an unknown field", async () => {
    expect(expectValidationError(await t.request("POST", "/v1/keys/verify", {}))).toEqual(["/key"]);
    expect(
      expectValidationError(await t.request("POST", "/v1/keys/verify", { key: "k".repeat(257) })),
    ).toEqual(["/key"]);
    expect(
      expectValidationError(await t.request("POST", "/v1/keys/verify", { key: "kw_x", scope: "a" })),
    ).toEqual(["/scope"]);
  });

  it("refuses more than 100 required scopes", async () => {
    const scopes = Array.from({ length: 101 }, (_, i) => `s${i}`);
    expect(
      expectValidationError(await t.request("POST", "/v1/keys/verify", { key: "kw_x", scopes })),
    ).toEqual(["/scopes"]);
  });
});
