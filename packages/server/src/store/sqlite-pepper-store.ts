import { PEPPER_COLUMNS, type PepperRow, pepperParams, pepperUsageSql, toPepper } from "./pepper-sql.js";
import {
  foldPepperUsage,
  type PepperRecord,
  type PepperStore,
  type PepperUsage,
  type Redigest,
} from "./pepper-store.js";
import type { SqliteDatabase } from "./sqlite-database.js";

/** The SQLite {@link PepperStore}, sharing its connection with the other SQLite stores. */
export class SqlitePepperStore implements PepperStore {
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  async listPeppers(): Promise<PepperRecord[]> {
    const rows = this.#database.run(`SELECT ${PEPPER_COLUMNS} FROM peppers ORDER BY version`, "all");
    return (rows as PepperRow[]).map(toPepper);
  }

  async addPepper(pepper: PepperRecord): Promise<boolean> {
    const { changes } = this.#database.write(() =>
      this.#database
        .statement(`INSERT INTO peppers (${PEPPER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
        .run(...pepperParams(pepper)),
    );
    return changes === 1;
  }

  async retirePepper(version: number, nowMs: number): Promise<boolean> {
    const { changes } = this.#database.write(() =>
      this.#database
        .statement(
          "UPDATE peppers SET sealed_pepper = NULL, retired_at = ? WHERE version = ? AND retired_at IS NULL",
        )
        .run(nowMs, version),
    );
    return changes === 1;
  }

  async pepperUsage(): Promise<PepperUsage[]> {
    const rows = this.#database.run(`${pepperUsageSql("keys")} UNION ALL ${pepperUsageSql("tokens")}`, "all");
    return foldPepperUsage(rows as Parameters<typeof foldPepperUsage>[0]);
  }

  async redigestKeys(swaps: readonly Redigest[]): Promise<number> {
    return this.#redigest("keys", swaps);
  }

  async redigestTokens(swaps: readonly Redigest[]): Promise<number> {
    return this.#redigest("tokens", swaps);
  }

  #redigest(table: "keys" | "tokens", swaps: readonly Redigest[]): number {
    if (swaps.length === 0) return 0;
    return this.#database.write(() => {
      const swap = this.#database.statement(
        `UPDATE ${table} SET digest = ?, pepper_version = ? WHERE id = ? AND digest = ?`,
      );
      let applied = 0;
      for (const s of swaps) applied += swap.run(s.digest, s.pepperVersion, s.id, s.expected).changes;
      return applied;
    });
  }
}
