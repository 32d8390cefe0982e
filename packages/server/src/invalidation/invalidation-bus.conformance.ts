import { afterEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import type { Invalidation, InvalidationBus, InvalidationListener } from "./invalidation-bus.js";

/** Two or more buses on one channel, as several nodes of one installation have. */
export interface BusCluster {
  /** Opens another bus (node) on the same channel, not yet listening. */
  open(): Promise<InvalidationBus>;
  /** Cuts `bus`'s listening connection from the server side, as an outage or a failover would. */
  cut(bus: InvalidationBus): Promise<void>;
}

/** What a listener heard, with promises that resolve when the next message or gap arrives. */
class RecordingListener implements InvalidationListener {
  readonly invalidations: Invalidation[] = [];
  gaps = 0;
  #waiters: Array<() => void> = [];

  onInvalidation(invalidation: Invalidation): void {
    this.invalidations.push(invalidation);
    this.#wake();
  }

  onGap(): void {
    this.gaps += 1;
    this.#wake();
  }

  /** Resolves once `condition` holds, re-checked on every message or gap; fails the test after 5 s. */
  async until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!condition()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`Timed out waiting until ${what}.`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Every id heard for `kind`, in order. */
  ids(kind: Invalidation["kind"]): string[] {
    return this.invalidations.filter((i) => i.kind === kind).flatMap((i) => i.ids);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * The one suite every {@link InvalidationBus} passes, written against the interface: `openCluster` gives a fresh
 * channel per test, shared by the buses it opens; the suite closes them afterwards.
 */
export function describeInvalidationBusConformance(
  name: string,
  openCluster: () => Promise<BusCluster>,
): void {
  describe(`InvalidationBus conformance: ${name}`, () => {
    const opened: InvalidationBus[] = [];

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((bus) => bus.close()));
    });

    async function listening(
      cluster: BusCluster,
    ): Promise<{ bus: InvalidationBus; heard: RecordingListener }> {
      const bus = await cluster.open();
      opened.push(bus);
      const heard = new RecordingListener();
      await bus.listen(heard);
      return { bus, heard };
    }

    it("listen() resolves once listening, and reports a gap so caches filled before it are dropped", async () => {
      const cluster = await openCluster();
      const { bus, heard } = await listening(cluster);
      expect(bus.state()).toBe("listening");
      expect(heard.gaps).toBe(1);
    });

    it("publish() reaches every other node, and not the node that sent it", async () => {
      const cluster = await openCluster();
      const a = await listening(cluster);
      const b = await listening(cluster);
      const c = await listening(cluster);
      await a.bus.publish({ kind: "key", ids: ["key_1", "key_2"] });
      await b.heard.until(() => b.heard.ids("key").length === 2, "b heard both keys");
      await c.heard.until(() => c.heard.ids("key").length === 2, "c heard both keys");
      expect(b.heard.invalidations).toEqual([{ kind: "key", ids: ["key_1", "key_2"] }]);
      // A message sent after the first one and delivered to a is proof that a skipped its own.
      await b.bus.publish({ kind: "project", ids: ["proj_1"] });
      await a.heard.until(() => a.heard.ids("project").length === 1, "a heard b's message");
      expect(a.heard.ids("key")).toEqual([]);
    });

    it("keeps the kind of each record: keys, tokens and projects", async () => {
      const cluster = await openCluster();
      const a = await listening(cluster);
      const b = await listening(cluster);
      await a.bus.publish({ kind: "token", ids: ["tok_1"] });
      await a.bus.publish({ kind: "project", ids: ["proj_1"] });
      await a.bus.publish({ kind: "key", ids: ["key_1"] });
      await b.heard.until(() => b.heard.invalidations.length === 3, "b heard three messages");
      expect(b.heard.invalidations).toEqual([
        { kind: "token", ids: ["tok_1"] },
        { kind: "project", ids: ["proj_1"] },
        { kind: "key", ids: ["key_1"] },
      ]);
    });

    it("delivers every id of a bulk change too large for one message", async () => {
      const cluster = await openCluster();
      const a = await listening(cluster);
      const b = await listening(cluster);
      const ids = Array.from({ length: 2_000 }, (_, i) => `key_${String(i).padStart(26, "0")}`);
      await a.bus.publish({ kind: "key", ids });
      await b.heard.until(() => b.heard.ids("key").length === ids.length, "b heard 2000 ids");
      expect(b.heard.ids("key")).toEqual(ids);
    });

    it("publishing with nothing listening succeeds: a node alone has no one to tell", async () => {
      const cluster = await openCluster();
      const bus = await cluster.open();
      opened.push(bus);
      await bus.publish({ kind: "key", ids: ["key_1"] });
    });

    it("a cut connection reports a gap at once and another once listening again, then messages flow", async () => {
      const cluster = await openCluster();
      const a = await listening(cluster);
      const b = await listening(cluster);
      await cluster.cut(b.bus);
      // One gap on losing the connection, one more on listening again.
      await b.heard.until(() => b.heard.gaps >= 3 && b.bus.state() === "listening", "b listens again");
      await a.bus.publish({ kind: "key", ids: ["key_after"] });
      await b.heard.until(() => b.heard.ids("key").includes("key_after"), "b heard the later message");
    });

    it("after close(), publish() throws INVALIDATION_BUS_UNAVAILABLE and nothing more is heard", async () => {
      const cluster = await openCluster();
      const a = await listening(cluster);
      const b = await listening(cluster);
      await b.bus.close();
      expect(b.bus.state()).toBe("closed");
      await expectKeywardError(
        b.bus.publish({ kind: "key", ids: ["key_1"] }),
        "INVALIDATION_BUS_UNAVAILABLE",
      );
      await a.bus.publish({ kind: "key", ids: ["key_2"] });
      // A third node hears it, so it was delivered; the closed one must not have.
      const c = await listening(cluster);
      await a.bus.publish({ kind: "key", ids: ["key_3"] });
      await c.heard.until(() => c.heard.ids("key").includes("key_3"), "c heard key_3");
      expect(b.heard.ids("key")).toEqual([]);
    });

    it("close() is idempotent and lets the process exit", async () => {
      const cluster = await openCluster();
      const { bus } = await listening(cluster);
      await bus.close();
      await bus.close();
      expect(bus.state()).toBe("closed");
    });
  });
}
