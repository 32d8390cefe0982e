import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProjectRecord } from "./records.js";
import type { SealedColumn } from "./sealed-value-store.js";
import { StoreFixtures } from "./store-fixtures.js";
import type { Stores } from "./stores.js";

const WEBHOOK_SECRETS: SealedColumn = { table: "webhooks", idColumn: "id", valueColumn: "sealed_secret" };
const INSTANCE_SECRETS: SealedColumn = {
  table: "instance_settings",
  idColumn: "name",
  valueColumn: "value",
  onlyIds: ["pepper", "audit_signing_key"],
};

/**
 * The one suite every {@link SealedValueStore} passes: pages in byte order of ids, only the named ids of a mixed
 * table, and a replacement that happens only while the value is still the one read.
 */
export function describeSealedValueStoreConformance(name: string, open: () => Promise<Stores>): void {
  describe(`SealedValueStore conformance: ${name}`, () => {
    let stores: Stores;
    let fx: StoreFixtures;
    let project: ProjectRecord;

    beforeEach(async () => {
      stores = await open();
      await stores.keys.migrate();
      fx = new StoreFixtures(stores);
      project = await fx.createProject();
    });

    afterEach(async () => {
      await stores.keys.close();
    });

    it("pages through a column in byte order of ids, and counts it", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push((await fx.createWebhook(project.id)).record.id);
      const sorted = [...ids].sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0 ? -1 : 1));
      const first = await stores.sealed.readSealedValues(WEBHOOK_SECRETS, null, 3);
      const rest = await stores.sealed.readSealedValues(WEBHOOK_SECRETS, first.at(-1)?.id ?? null, 3);
      expect([...first, ...rest].map((r) => r.id)).toEqual(sorted);
      expect(first[0]?.value).toEqual(expect.any(String));
      expect(await stores.sealed.countSealedValues(WEBHOOK_SECRETS)).toBe(5);
    });

    it("reads only the named ids of a table that also holds other rows", async () => {
      await stores.audit.claimAuditSigningKey('{"v":1}', 0);
      const rows = await stores.sealed.readSealedValues(INSTANCE_SECRETS, null, 10);
      expect(rows).toEqual([{ id: "audit_signing_key", value: '{"v":1}' }]);
      expect(await stores.sealed.countSealedValues(INSTANCE_SECRETS)).toBe(1);
      const pepperOnly = { ...INSTANCE_SECRETS, onlyIds: ["pepper"] };
      expect(await stores.sealed.readSealedValues(pepperOnly, null, 10)).toEqual([]);
      expect(await stores.sealed.countSealedValues(pepperOnly)).toBe(0);
    });

    it("replaces values only while they are still the ones read, in one batch", async () => {
      const webhook = await fx.createWebhook(project.id);
      const [row] = await stores.sealed.readSealedValues(WEBHOOK_SECRETS, null, 1);
      if (row === undefined) throw new Error("no row");
      expect(
        await stores.sealed.replaceSealedValues(WEBHOOK_SECRETS, [
          { id: row.id, expected: row.value, next: '{"v":1,"next":1}' },
        ]),
      ).toBe(1);
      // A second writer holding the old value loses: the first replacement stands.
      expect(
        await stores.sealed.replaceSealedValues(WEBHOOK_SECRETS, [
          { id: row.id, expected: row.value, next: '{"v":1,"late":1}' },
        ]),
      ).toBe(0);
      const [after] = await stores.sealed.readSealedValues(WEBHOOK_SECRETS, null, 1);
      expect(after).toEqual({ id: webhook.record.id, value: '{"v":1,"next":1}' });
    });
  });
}
