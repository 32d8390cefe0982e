import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { ManualClock } from "../../test/support/manual-clock.js";
import type { PepperRecord } from "../store/pepper-store.js";
import { pepperName } from "../store/pepper-store.js";
import { openSqliteStores } from "../store/sqlite-stores.js";
import type { Stores } from "../store/stores.js";
import { sealSecret } from "./envelope.js";
import type { Kms } from "./kms.js";
import { LocalKms } from "./local-kms.js";
import { PepperRing } from "./pepper-ring.js";

describe("PepperRing", () => {
  let stores: Stores;
  let kms: Kms;
  let unwraps: number;
  let clock: ManualClock;
  const peppers = new Map<number, Buffer>();

  beforeEach(async () => {
    stores = openSqliteStores({ path: ":memory:" });
    await stores.keys.migrate();
    const local = new LocalKms(randomBytes(32));
    unwraps = 0;
    // Counts unseals: a version is opened through the KMS once, not at every refresh.
    kms = new Proxy(local, {
      get(target, property, receiver) {
        if (property === "unwrapDataKey") unwraps += 1;
        const value = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    clock = new ManualClock();
    peppers.clear();
  });

  afterEach(async () => {
    await stores.keys.close();
  });

  async function addVersion(version: number, activatesAt: number): Promise<PepperRecord> {
    const pepper = randomBytes(32);
    peppers.set(version, pepper);
    const record: PepperRecord = {
      name: pepperName(version),
      version,
      sealedPepper: JSON.stringify(await sealSecret(kms, pepper, pepperName(version))),
      createdAt: clock.now(),
      activatesAt,
      retiredAt: null,
    };
    expect(await stores.peppers.addPepper(record)).toBe(true);
    return record;
  }

  const source = () => ({ store: stores.peppers, kms, clock });

  it("unseals every live version, and switches the current one when a staged version's time comes", async () => {
    await addVersion(1, clock.now());
    await addVersion(2, clock.now() + 60_000);
    const ring = await PepperRing.open(source());
    expect(ring.versions.map((p) => p.pepper)).toEqual([peppers.get(1), peppers.get(2)]);
    expect(ring.schedule().current.version).toBe(1);
    expect(ring.schedule().lookupOrder.map((p) => p.version)).toEqual([1, 2]);

    clock.advance(60_000);
    // No reload needed: the schedule follows the clock.
    expect(ring.schedule().current.version).toBe(2);
    expect(ring.schedule().lookupOrder.map((p) => p.version)).toEqual([2, 1]);
  });

  it("refresh() adds new versions, drops retired ones, and unseals each version once", async () => {
    await addVersion(1, clock.now());
    const ring = await PepperRing.open(source());
    expect(unwraps).toBe(1);
    await ring.refresh();
    expect(unwraps).toBe(1);

    await addVersion(2, clock.now());
    await ring.refresh();
    expect(unwraps).toBe(2);
    expect(ring.schedule().current.pepper).toEqual(peppers.get(2));

    await stores.peppers.retirePepper(1, clock.now());
    await ring.refresh();
    expect(ring.versions.map((p) => p.version)).toEqual([2]);
    expect(unwraps).toBe(2);
  });

  it("keeps its versions when a refresh fails", async () => {
    await addVersion(1, clock.now());
    const ring = await PepperRing.open(source());
    await stores.keys.close();
    await expect(ring.refresh()).rejects.toThrow();
    expect(ring.schedule().current.pepper).toEqual(peppers.get(1));
    stores = openSqliteStores({ path: ":memory:" });
    await stores.keys.migrate();
  });

  it("refuses a store whose pepper another master key sealed (MASTER_KEY_MISMATCH)", async () => {
    await addVersion(1, clock.now());
    await expectKeywardError(
      PepperRing.open({ store: stores.peppers, kms: new LocalKms(randomBytes(32)), clock }),
      "MASTER_KEY_MISMATCH",
    );
  });

  it("refuses a store without a live version", async () => {
    await expectKeywardError(PepperRing.open(source()), "STORE_UNAVAILABLE");
  });

  it("of() makes a fixed ring of one version for tools and tests", () => {
    const pepper = randomBytes(32);
    const ring = PepperRing.of(pepper, clock);
    expect(ring.schedule().current).toEqual({ version: 1, pepper, activatesAt: 0 });
  });
});
