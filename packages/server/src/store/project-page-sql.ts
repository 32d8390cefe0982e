/** A page of one table's rows in id order, limited to some projects (all when `projectIds` is null). */
export interface ProjectPageQuery {
  projectIds: readonly string[] | null;
  limit: number;
  /** The last id of the previous page. */
  after?: string;
}

/**
 * Ids sort and page in byte order on PostgreSQL, as in SQLite: base62 ids mix cases, which a linguistic collation
 * (en_US) would interleave, breaking "newest first" and `after` paging.
 */
export const POSTGRES_BYTE_ORDER = 'COLLATE "C"';

/**
 * The statement and parameters of a project-limited page of `table` (which has `id` and `project_id`), in one
 * dialect; null when the caller may see no project at all (the page is empty without asking). Table and columns
 * come from the stores' own constants, never from input.
 */
export function projectPageSql(
  dialect: "sqlite" | "postgres",
  table: string,
  columns: string,
  query: ProjectPageQuery,
): { sql: string; params: unknown[] } | null {
  const { projectIds } = query;
  if (projectIds !== null && projectIds.length === 0) return null;
  if (dialect === "postgres") {
    const byProject = projectIds === null ? "" : " AND project_id = ANY($3::text[])";
    return {
      sql: `SELECT ${columns} FROM ${table} WHERE id ${POSTGRES_BYTE_ORDER} > $1${byProject}
            ORDER BY id ${POSTGRES_BYTE_ORDER} LIMIT $2`,
      params: [query.after ?? "", query.limit, ...(projectIds === null ? [] : [projectIds])],
    };
  }
  const byProject = projectIds === null ? "" : ` AND project_id IN (${projectIds.map(() => "?").join(", ")})`;
  return {
    sql: `SELECT ${columns} FROM ${table} WHERE id > ?${byProject} ORDER BY id LIMIT ?`,
    params: [query.after ?? "", ...(projectIds ?? []), query.limit],
  };
}
