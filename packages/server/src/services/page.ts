import { invalidField } from "@keyward/core/keyward-error.js";

/** One page of a list and the opaque cursor for the next page (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Largest page a list returns. */
export const MAX_PAGE_SIZE = 100;
/** Page size when none is asked for. */
export const DEFAULT_PAGE_SIZE = 50;

/**
 * Turns an opaque cursor back into the last id of the previous page; VALIDATION_ERROR when it is not one of ours.
 * Ids are at most `maxIdLength` UTF-16 units (64 for record ids; longer for keys such as override identifiers).
 */
export function decodeCursor(cursor: string | undefined, maxIdLength = 64): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (
    id.length === 0 ||
    id.length > maxIdLength ||
    Buffer.from(id, "utf8").toString("base64url") !== cursor
  ) {
    throw invalidField("/cursor", "must be a nextCursor value from a previous page");
  }
  return id;
}

/**
 * Lists one page: asks for one item more than the limit to learn whether another page exists.
 */
export async function listPage<T extends { id: string }>(
  limit: number | undefined,
  cursor: string | undefined,
  fetch: (query: { limit: number; after?: string }) => Promise<T[]>,
  options: { maxIdLength?: number } = {},
): Promise<Page<T>> {
  const size = Math.min(Math.max(limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
  const after = decodeCursor(cursor, options.maxIdLength);
  const rows = await fetch(after === undefined ? { limit: size + 1 } : { limit: size + 1, after });
  const items = rows.slice(0, size);
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > size && last !== undefined ? Buffer.from(last.id, "utf8").toString("base64url") : null,
  };
}

/** A page fetcher that scans the store's pages in batches and keeps only the items `keep` accepts. */
export function filteredFetch<T extends { id: string }>(
  fetch: (query: { limit: number; after?: string }) => Promise<T[]>,
  keep: (item: T) => boolean,
  batchSize = MAX_PAGE_SIZE,
): (query: { limit: number; after?: string }) => Promise<T[]> {
  return async (page) => {
    const found: T[] = [];
    let after = page.after;
    for (;;) {
      const batch = await fetch(after === undefined ? { limit: batchSize } : { limit: batchSize, after });
      found.push(...batch.filter(keep));
      const last = batch.at(-1);
      if (found.length >= page.limit || last === undefined || batch.length < batchSize) break;
      after = last.id;
    }
    return found.slice(0, page.limit);
  };
}
