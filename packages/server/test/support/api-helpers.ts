import { ERROR_CATALOGUE, type ErrorCode } from "@keyward/core/error-catalogue.js";
import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import type { Problem } from "../../src/http/problem.js";
import type { TestApp } from "./test-app.js";

/** A problem document as the API sends it. */
export type ProblemBody = Problem;

/**
 * Asserts the response is an RFC 9457 problem with this status and code, shaped as the catalogue says, and that
 * the `x-request-id` header names the same request as the body; returns the document.
 */
export function expectProblem(res: LightMyRequestResponse, status: number, code: ErrorCode): ProblemBody {
  expect(res.statusCode, res.body.slice(0, 500)).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
  const body = res.json() as ProblemBody;
  expect(body).toMatchObject({
    type: `https://keyward.dev/errors/${code.toLowerCase()}`,
    title: ERROR_CATALOGUE[code].title,
    status,
    code,
  });
  expect(typeof body.detail).toBe("string");
  expect(body.requestId).toMatch(/^req_/);
  expect(res.headers["x-request-id"]).toBe(body.requestId);
  return body;
}

/**
 * Asserts a 400 VALIDATION_ERROR and returns the distinct JSON pointers its `errors[]` names, in order (a field
 * failing every branch of a `null`-or-string union is named once per branch).
 */
export function expectValidationError(res: LightMyRequestResponse): string[] {
  const body = expectProblem(res, 400, "VALIDATION_ERROR");
  expect(body.errors, "a validation error names its fields").toBeDefined();
  return [...new Set((body.errors ?? []).map((e) => e.pointer))];
}

/** A key as POST /v1/keys returns it: the plaintext and the record. */
export interface CreatedKey {
  key: string;
  id: string;
  projectId: string;
  [field: string]: unknown;
}

/** A token as POST /v1/tokens returns it. */
export interface CreatedToken {
  token: string;
  id: string;
  [field: string]: unknown;
}

/** Creates a key (root token unless another is given) and asserts 201. */
export async function createKey(
  t: TestApp,
  body: Record<string, unknown> = {},
  token?: string,
): Promise<CreatedKey> {
  const res = await t.request("POST", "/v1/keys", body, token);
  expect(res.statusCode, res.body.slice(0, 500)).toBe(201);
  return res.json() as CreatedKey;
}

/** Creates a project with the root token and returns its id. */
export async function createProject(t: TestApp, body: Record<string, unknown> = {}): Promise<string> {
  const res = await t.request("POST", "/v1/projects", { name: "project", ...body });
  expect(res.statusCode, res.body.slice(0, 500)).toBe(201);
  return (res.json() as { id: string }).id;
}

/** Mints an admin token with the root token (or `as`) and returns its plaintext and id. */
export async function mintToken(
  t: TestApp,
  permissions: string[],
  options: { projectIds?: string[] | null; as?: string; name?: string } = {},
): Promise<CreatedToken> {
  const res = await t.request(
    "POST",
    "/v1/tokens",
    {
      name: options.name ?? `token ${permissions.join(" ")}`,
      permissions,
      ...(options.projectIds === undefined ? {} : { projectIds: options.projectIds }),
    },
    options.as,
  );
  expect(res.statusCode, res.body.slice(0, 500)).toBe(201);
  return res.json() as CreatedToken;
}

/** Verifies a key with the root token (or `token`) and returns the outcome; asserts HTTP 200. */
export async function verifyKey(
  t: TestApp,
  key: string,
  extra: Record<string, unknown> = {},
  token?: string,
): Promise<Record<string, unknown>> {
  const res = await t.request("POST", "/v1/keys/verify", { key, ...extra }, token);
  expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
  return res.json() as Record<string, unknown>;
}

/** Follows `nextCursor` from `url` until the last page; returns each page's ids. */
export async function walkPages(t: TestApp, url: string, token?: string): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const separator = url.includes("?") ? "&" : "?";
    const res = await t.request(
      "GET",
      cursor === null ? url : `${url}${separator}cursor=${encodeURIComponent(cursor)}`,
      undefined,
      token,
    );
    expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
    const page = res.json() as { items: Array<{ id: string }>; nextCursor: string | null };
    pages.push(page.items.map((item) => item.id));
    cursor = page.nextCursor;
    if (pages.length > 1000) throw new Error("pagination does not end");
  } while (cursor !== null);
  return pages;
}

/** The whole raw response (status line aside): headers and body, for "never contains a secret" checks. */
export function rawResponse(res: LightMyRequestResponse): string {
  return `${JSON.stringify(res.headers)}\n${res.body}`;
}
