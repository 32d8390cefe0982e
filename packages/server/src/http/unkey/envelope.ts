import type { FastifyRequest } from "fastify";
import type { Problem } from "../problem.js";

/**
 * Unkey v2's envelopes, which the official clients parse strictly: success is HTTP 200 `application/json`
 * `{meta: {requestId}, data, pagination?}`; an error is `{meta, error: {title, detail, status, type, errors?}}`.
 * Optional response fields are left out, never null (the clients refuse null where a field is optional).
 */
export interface UnkeyPagination {
  hasMore: boolean;
  /** Left out on the last page: the clients stop paging on a missing cursor, not on `hasMore`. */
  cursor?: string;
}

/** A success body. */
export function unkeyOk<T>(request: FastifyRequest, data: T, pagination?: UnkeyPagination) {
  return { meta: { requestId: request.id }, data, ...(pagination === undefined ? {} : { pagination }) };
}

/** An error body: Keyward's problem in Unkey's shape (`errors` is required on 400). */
export function unkeyError(problem: Problem) {
  return {
    meta: { requestId: problem.requestId },
    error: {
      title: problem.title,
      detail: problem.detail,
      status: problem.status,
      type: problem.type,
      ...(problem.status === 400 || problem.errors !== undefined
        ? {
            errors: (problem.errors ?? []).map((e) => ({
              location: `body${e.pointer === "/" ? "" : e.pointer}`,
              message: e.detail,
            })),
          }
        : {}),
    },
  };
}

/**
 * The content type of an Unkey error: the clients raise their typed errors for 4xx/5xx only from
 * `application/json`, and for 429 only from `application/problem+json`.
 */
export function unkeyErrorContentType(status: number): string {
  return status === 429 ? "application/problem+json" : "application/json";
}

/** Drops the entries whose value is undefined or null: an optional field is left out, never sent as null. */
export function compact<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined && v !== null),
  ) as Partial<T>;
}
