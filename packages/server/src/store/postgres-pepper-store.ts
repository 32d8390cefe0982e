import { PEPPER_COLUMNS, type PepperRow, pepperParams, pepperUsageSql, toPepper } from "./pepper-sql.js";
import {
  foldPepperUsage,
  type PepperRecord,
  type PepperStore,
  type PepperUsage,
  type Redigest,
} from "./pepper-store.js";
import type { PostgresDatabase } from "./postgres-database.js";

/** The PostgreSQL {@link PepperStore}, sharing its pool with the other PostgreSQL stores. */
export class PostgresPepperStore implements PepperStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async listPeppers(): Promise<PepperRecord[]> {
    const { rows } = await this.#database.query<PepperRow>(
      `SELECT ${PEPPER_COLUMNS} FROM peppers ORDER BY version`,
    );
    return rows.map(toPepper);
  }

  async addPepper(pepper: PepperRecord): Promise<boolean> {
    // Both unique columns conflict the same way: a concurrent rotation took this version.
    const { rowCount } = await this.#database.query(
      `INSERT INTO peppers (${PEPPER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      pepperParams(pepper),
    );
    return rowCount === 1;
  }

  async retirePepper(version: number, nowMs: number): Promise<boolean> {
    const { rowCount } = await this.#database.query(
      "UPDATE peppers SET sealed_pepper = NULL, retired_at = $1 WHERE version = $2 AND retired_at IS NULL",
      [nowMs, version],
    );
    return rowCount === 1;
  }

  async pepperUsage(): Promise<PepperUsage[]> {
    const { rows } = await this.#database.query<Parameters<typeof foldPepperUsage>[0][number]>(
      `${pepperUsageSql("keys")} UNION ALL ${pepperUsageSql("tokens")}`,
    );
    return foldPepperUsage(rows);
  }

  async redigestKeys(swaps: readonly Redigest[]): Promise<number> {
    return this.#redigest("keys", swaps);
  }

  async redigestTokens(swaps: readonly Redigest[]): Promise<number> {
    return this.#redigest("tokens", swaps);
  }

  /** One statement for the whole batch; rows are locked in id order, so two nodes' batches cannot deadlock. */
  async #redigest(table: "keys" | "tokens", swaps: readonly Redigest[]): Promise<number> {
    if (swaps.length === 0) return 0;
    const sorted = [...swaps].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const { rowCount } = await this.#database.query(
      `UPDATE ${table} t SET digest = s.digest, pepper_version = s.pepper_version
         FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::int[]) AS s (id, expected, digest, pepper_version)
        WHERE t.id = s.id AND t.digest = s.expected`,
      [
        sorted.map((s) => s.id),
        sorted.map((s) => s.expected),
        sorted.map((s) => s.digest),
        sorted.map((s) => s.pepperVersion),
      ],
    );
    return rowCount ?? 0;
  }
}
