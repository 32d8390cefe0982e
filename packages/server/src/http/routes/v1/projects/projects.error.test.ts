import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createProject,
  expectProblem,
  expectValidationError,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("POST /v1/projects validation", () => {
  it("names a missing, empty or over-long name", async () => {
    expect(expectValidationError(await t.request("POST", "/v1/projects", {}))).toEqual(["/name"]);
    expect(expectValidationError(await t.request("POST", "/v1/projects", { name: "" }))).toEqual(["/name"]);
    expect(expectValidationError(await t.request("POST", "/v1/projects", { name: "n".repeat(256) }))).toEqual(
      ["/name"],
    );
  });

  it("names every wrong field at once, unknown ones included", async () => {
    const pointers = expectValidationError(
      await t.request("POST", "/v1/projects", { name: 1, keyPrefix: ["kw"], prefix: "kw" }),
    );
    expect(pointers).toEqual(expect.arrayContaining(["/name", "/keyPrefix", "/prefix"]));
  });

  it("refuses a keyPrefix outside [a-z][a-z0-9_]{0,19}", async () => {
    for (const keyPrefix of ["Bill", "1bill", "bi-ll", "bill!", "bïll", "_bill", "", "b".repeat(21)]) {
      const res = await t.request("POST", "/v1/projects", { name: "p", keyPrefix });
      expect(expectValidationError(res), keyPrefix).toEqual(["/keyPrefix"]);
    }
  });

  it("refuses a body that is not JSON", async () => {
    const base = { method: "POST" as const, url: "/v1/projects" };
    const headers = { authorization: `Bearer ${t.rootToken}` };
    expectProblem(
      await t.app.inject({
        ...base,
        headers: { ...headers, "content-type": "application/json" },
        payload: "{",
      }),
      400,
      "INVALID_JSON",
    );
    expectProblem(
      await t.app.inject({
        ...base,
        headers: { ...headers, "content-type": "text/plain" },
        payload: "name=x",
      }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    expectProblem(
      await t.app.inject({
        ...base,
        headers: { ...headers, "content-type": "application/json" },
        payload: JSON.stringify({ name: "x".repeat(70_000) }),
      }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
  });
});

describe("GET /v1/projects/{id}", () => {
  it("answers NOT_FOUND for an unknown id", async () => {
    expectProblem(await t.request("GET", "/v1/projects/proj_0000000000000000000000"), 404, "NOT_FOUND");
  });

  it("refuses an id over 64 characters", async () => {
    expect(expectValidationError(await t.request("GET", `/v1/projects/${"p".repeat(65)}`))).toEqual(["/id"]);
  });
});

describe("GET /v1/projects", () => {
  it("refuses a bad cursor, a limit of 0 or 101, and unknown parameters", async () => {
    expect(expectValidationError(await t.request("GET", "/v1/projects?cursor=***"))).toEqual(["/cursor"]);
    expect(expectValidationError(await t.request("GET", "/v1/projects?limit=0"))).toEqual(["/limit"]);
    expect(expectValidationError(await t.request("GET", "/v1/projects?limit=101"))).toEqual(["/limit"]);
    expect(expectValidationError(await t.request("GET", "/v1/projects?projectId=x"))).toEqual(["/projectId"]);
  });
});

describe("PATCH /v1/projects/{id} validation", () => {
  it("refuses a policy that is not an ISO 8601 duration, naming /policies/<name>", async () => {
    const id = await createProject(t, { name: "bad-durations" });
    for (const value of [
      "90d",
      "P",
      "PT",
      "P0D",
      "P1.5D",
      "-P1D",
      "P1DT",
      "p90d",
      "P90 D",
      "1 year",
      "P1M1Y",
      "P1234567D",
      "",
    ]) {
      const res = await t.request("PATCH", `/v1/projects/${id}`, { policies: { maxLifetime: value } });
      const problem = expectProblem(res, 400, "VALIDATION_ERROR");
      expect(
        problem.errors?.map((e) => e.pointer),
        value,
      ).toEqual(["/policies/maxLifetime"]);
    }
    const res = await t.request("PATCH", `/v1/projects/${id}`, { policies: { rotationPeriod: "P90d" } });
    expect(expectProblem(res, 400, "VALIDATION_ERROR").detail).toBe(
      "policies/rotationPeriod must be an ISO 8601 duration such as P90D.",
    );
  });

  it("names every bad policy at once and changes none of them", async () => {
    const id = await createProject(t, { name: "all-or-nothing" });
    await t.request("PATCH", `/v1/projects/${id}`, { policies: { rotationPeriod: "P30D" } });
    const res = await t.request("PATCH", `/v1/projects/${id}`, {
      name: "renamed",
      policies: { maxLifetime: "P1Y", rotationPeriod: null, inactivityRevocation: "soon", expiryNotice: "P" },
    });
    const problem = expectProblem(res, 400, "VALIDATION_ERROR");
    expect(problem.errors?.map((e) => e.pointer)).toEqual([
      "/policies/inactivityRevocation",
      "/policies/expiryNotice",
    ]);
    expect((await t.request("GET", `/v1/projects/${id}`)).json()).toMatchObject({
      name: "all-or-nothing",
      policies: { rotationPeriod: "P30D" },
    });
  });

  it("names unknown policies, mistyped and over-long values, and unknown fields", async () => {
    const id = await createProject(t, { name: "schema" });
    const cases: Array<[unknown, string[]]> = [
      [{ policies: { maxAge: "P1D" } }, ["/policies/maxAge"]],
      [{ policies: { maxLifetime: 90 } }, ["/policies/maxLifetime"]],
      [{ policies: { maxLifetime: `P${"1".repeat(40)}D` } }, ["/policies/maxLifetime"]],
      [{ policies: "P90D" }, ["/policies"]],
      [{ policies: null }, ["/policies"]],
      [{ name: "" }, ["/name"]],
      [{ name: "n".repeat(256) }, ["/name"]],
      [{ keyPrefix: "new" }, ["/keyPrefix"]],
    ];
    for (const [body, pointers] of cases) {
      const res = await t.request("PATCH", `/v1/projects/${id}`, body);
      expect(expectValidationError(res), JSON.stringify(body)).toEqual(pointers);
    }
  });

  it("answers NOT_FOUND for an unknown project and refuses an id over 64 characters", async () => {
    expectProblem(
      await t.request("PATCH", "/v1/projects/proj_0000000000000000000000", { name: "x" }),
      404,
      "NOT_FOUND",
    );
    expect(expectValidationError(await t.request("PATCH", `/v1/projects/${"p".repeat(65)}`, {}))).toEqual([
      "/id",
    ]);
  });

  it("refuses a body that is not JSON", async () => {
    const id = await createProject(t, { name: "json" });
    const inject = (contentType: string, payload: string) =>
      t.app.inject({
        method: "PATCH",
        url: `/v1/projects/${id}`,
        headers: { authorization: `Bearer ${t.rootToken}`, "content-type": contentType },
        payload,
      });
    expectProblem(await inject("application/json", '{"policies":'), 400, "INVALID_JSON");
    expectProblem(await inject("text/plain", "{}"), 415, "UNSUPPORTED_MEDIA_TYPE");
  });
});

describe("PATCH /v1/projects/{id} ipAllowlist and timezone validation", () => {
  it("names each bad allowlist entry by /ipAllowlist/<i> and changes nothing", async () => {
    const id = await createProject(t, { name: "bad-allowlist" });
    const res = await t.request("PATCH", `/v1/projects/${id}`, {
      ipAllowlist: ["10.0.0.0/8", "10.0.0.1/8", "not an ip", "2001:db8::/129", "fe80::1%eth0"],
      timezone: "Europe/Paris",
    });
    expect(expectValidationError(res)).toEqual([
      "/ipAllowlist/1",
      "/ipAllowlist/2",
      "/ipAllowlist/3",
      "/ipAllowlist/4",
    ]);
    expect(res.json().errors[0].detail).toContain("10.0.0.0/8");
    expect((await t.request("GET", `/v1/projects/${id}`)).json()).toMatchObject({
      ipAllowlist: null,
      timezone: "UTC",
    });
  });

  it("refuses an allowlist of over 100 entries, entries of the wrong type and over-long entries", async () => {
    const id = await createProject(t, { name: "long-allowlist" });
    const many = Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`);
    expect(
      expectValidationError(await t.request("PATCH", `/v1/projects/${id}`, { ipAllowlist: many })),
    ).toEqual(["/ipAllowlist"]);
    expect(
      expectValidationError(
        await t.request("PATCH", `/v1/projects/${id}`, { ipAllowlist: [1, "a".repeat(69)] }),
      ),
    ).toEqual(["/ipAllowlist/0", "/ipAllowlist/1"]);
    expect(
      expectValidationError(await t.request("PATCH", `/v1/projects/${id}`, { ipAllowlist: "10.0.0.0/8" })),
    ).toEqual(["/ipAllowlist"]);
  });

  it("refuses a timezone that is not an IANA zone, naming /timezone", async () => {
    const id = await createProject(t, { name: "bad-zone" });
    for (const timezone of ["Mars/Olympus", "UTC+2", "", "x".repeat(65), 2]) {
      const res = await t.request("PATCH", `/v1/projects/${id}`, { timezone });
      expect(expectValidationError(res), String(timezone)).toEqual(["/timezone"]);
    }
    expect((await t.request("GET", `/v1/projects/${id}`)).json().timezone).toBe("UTC");
  });
});

describe("require2fa validation", () => {
  it("refuses a value that is not a boolean, naming /require2fa, and changes nothing", async () => {
    const id = await createProject(t, { name: "typed" });
    for (const require2fa of ["true", 1, null]) {
      const res = await t.request("PATCH", `/v1/projects/${id}`, { require2fa });
      expect(expectValidationError(res), String(require2fa)).toEqual(["/require2fa"]);
      const created = await t.request("POST", "/v1/projects", { name: "typed-2", require2fa });
      expect(expectValidationError(created), String(require2fa)).toEqual(["/require2fa"]);
    }
    expect((await t.request("GET", `/v1/projects/${id}`)).json().require2fa).toBe(false);
  });
});
