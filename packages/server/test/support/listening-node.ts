import type { Config } from "../../src/config.js";
import { type Instance, openInstance } from "../../src/instance.js";
import type { CachedKind } from "../../src/invalidation/invalidation-bus.js";
import { createMetrics } from "../../src/monitor/metrics.js";

/** A node whose `heard(kind)` resolves when it next receives an invalidation of that kind from another node. */
export interface ListeningNode {
  instance: Instance;
  heard(kind: CachedKind): Promise<void>;
}

/**
 * Opens an instance of `config` that tells when other nodes' invalidations arrive, so multi-node tests wait for
 * the message rather than sleep. `cleanups` gets the instance's close.
 */
export async function openListeningNode(
  config: Config,
  cleanups: Array<() => Promise<void>>,
): Promise<ListeningNode> {
  const metrics = createMetrics();
  const waiting = new Map<CachedKind, Array<() => void>>();
  const count = metrics.invalidation.bind(metrics);
  metrics.invalidation = (outcome, kind) => {
    count(outcome, kind);
    if (outcome !== "received") return;
    for (const wake of waiting.get(kind)?.splice(0) ?? []) wake();
  };
  const instance = await openInstance({ config, metrics });
  cleanups.push(() => instance.close());
  return {
    instance,
    heard: (kind) =>
      new Promise<void>((resolve) => {
        waiting.set(kind, [...(waiting.get(kind) ?? []), resolve]);
      }),
  };
}
