/** When a pepper version takes over: what the schedule needs of each live (not retired) version. */
export interface ScheduledPepper {
  version: number;
  activatesAt: number;
}

/** Which pepper new digests use at an instant, and in which order lookups try the versions. */
export interface PepperSchedule<P extends ScheduledPepper> {
  /** New digests use it: the newest version whose activation time has come (the oldest before any has). */
  current: P;
  /**
   * Lookups try `current` first, then newer versions not active yet (a node whose clock runs ahead, or a
   * rotation activated early, may already digest with them), then older versions, newest first.
   */
  lookupOrder: readonly P[];
  /** The next instant this schedule changes (a newer version activates); Infinity when none will. */
  changesAt: number;
}

/**
 * The schedule of the live pepper versions at `nowMs`. Rotation adds a version that activates later, so that
 * every node has loaded it before any node digests with it: a digest the others cannot find would fail keys.
 * Throws a RangeError when there is no version at all, which is a bootstrapping bug.
 */
export function pepperSchedule<P extends ScheduledPepper>(
  versions: readonly P[],
  nowMs: number,
): PepperSchedule<P> {
  if (versions.length === 0) throw new RangeError("Expected at least one live pepper version.");
  const byVersion = [...versions].sort((a, b) => a.version - b.version);
  const active = byVersion.filter((p) => p.activatesAt <= nowMs);
  const current = active.at(-1) ?? (byVersion[0] as P);
  const newer = byVersion.filter((p) => p.version > current.version);
  const older = byVersion.filter((p) => p.version < current.version).reverse();
  const pending = newer.map((p) => p.activatesAt).filter((at) => at > nowMs);
  return {
    current,
    lookupOrder: [current, ...newer, ...older],
    changesAt: pending.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...pending),
  };
}
