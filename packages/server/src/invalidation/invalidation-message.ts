import type { CachedKind, Invalidation } from "./invalidation-bus.js";

/** The wire form of an invalidation: versioned, with the sending node so it can ignore its own. */
interface InvalidationMessage {
  v: 1;
  origin: string;
  kind: CachedKind;
  ids: string[];
}

const KINDS: ReadonlySet<string> = new Set<CachedKind>([
  "key",
  "token",
  "project",
  "ratelimit_override",
  "identity",
  "role",
]);

/**
 * PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; a bulk revocation names hundreds of ids, so they go
 * in several messages below that size.
 */
export const MAX_MESSAGE_BYTES = 7_000;

/** Encodes an invalidation as one or more messages, each under {@link MAX_MESSAGE_BYTES}. */
export function encodeInvalidation(origin: string, invalidation: Invalidation): string[] {
  const envelopeBytes = Buffer.byteLength(JSON.stringify({ v: 1, origin, kind: invalidation.kind, ids: [] }));
  const messages: string[] = [];
  let ids: string[] = [];
  let size = envelopeBytes;
  for (const id of invalidation.ids) {
    const idSize = Buffer.byteLength(JSON.stringify(id)) + 1;
    if (ids.length > 0 && size + idSize > MAX_MESSAGE_BYTES) {
      messages.push(JSON.stringify({ v: 1, origin, kind: invalidation.kind, ids }));
      ids = [];
      size = envelopeBytes;
    }
    ids.push(id);
    size += idSize;
  }
  if (ids.length > 0) messages.push(JSON.stringify({ v: 1, origin, kind: invalidation.kind, ids }));
  return messages;
}

/** What a received message means for this node. */
export type DecodedMessage =
  | { type: "invalidation"; origin: string; invalidation: Invalidation }
  /** Not a message this build understands (a newer node, or garbage): treat it as a gap. */
  | { type: "unreadable" };

export function decodeInvalidation(payload: string): DecodedMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return { type: "unreadable" };
  }
  if (!isMessage(parsed)) return { type: "unreadable" };
  return {
    type: "invalidation",
    origin: parsed.origin,
    invalidation: { kind: parsed.kind, ids: parsed.ids },
  };
}

function isMessage(value: unknown): value is InvalidationMessage {
  if (typeof value !== "object" || value === null) return false;
  const message = value as Record<string, unknown>;
  return (
    message.v === 1 &&
    typeof message.origin === "string" &&
    typeof message.kind === "string" &&
    KINDS.has(message.kind) &&
    Array.isArray(message.ids) &&
    message.ids.every((id) => typeof id === "string")
  );
}
