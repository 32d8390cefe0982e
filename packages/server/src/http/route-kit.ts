import type { FastifyRequest } from "fastify";
import { type TSchema, Type } from "typebox";

/** A reference to a shared schema registered with `app.addSchema` (Key, Project, Token, Problem). */
export function ref(name: "Key" | "Project" | "Token" | "Problem"): TSchema {
  return Type.Unsafe({ $ref: `${name}#` });
}

/** Problem responses for the given statuses, for the OpenAPI document and for fast serialization. */
export function problems(...statuses: number[]): Record<number, TSchema> {
  const all = [...new Set([400, 401, 403, ...statuses, 500])];
  return Object.fromEntries(all.map((status) => [status, ref("Problem")]));
}

/** preValidation hook for routes whose body is optional: a missing body is an empty object. */
export async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined) request.body = {};
}
