import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { describePepperStoreConformance } from "./pepper-store.conformance.js";
import { openSqliteStores } from "./sqlite-stores.js";

const tempDirs: string[] = [];

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describePepperStoreConformance("SQLite in memory", async () => openSqliteStores({ path: ":memory:" }));
describePepperStoreConformance("SQLite file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "keyward-peppers-"));
  tempDirs.push(dir);
  return openSqliteStores({ path: join(dir, "keyward.db") });
});
