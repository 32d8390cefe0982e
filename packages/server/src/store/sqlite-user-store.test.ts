import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { openSqliteStores } from "./sqlite-stores.js";
import { describeUserStoreConformance } from "./user-store.conformance.js";

const tempDirs: string[] = [];

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describeUserStoreConformance("SQLite in memory", async () => openSqliteStores({ path: ":memory:" }));
describeUserStoreConformance("SQLite file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "keyward-users-"));
  tempDirs.push(dir);
  return openSqliteStores({ path: join(dir, "keyward.db") });
});
