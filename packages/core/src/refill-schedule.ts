/** How often a quota refills: at local midnight, or at local midnight on the 1st of the month. */
export type RefillInterval = "day" | "month";

/** The refill intervals the API accepts. */
export const REFILL_INTERVALS: readonly RefillInterval[] = ["day", "month"];

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A cached formatter giving wall-clock parts in `timeZone` (formatters are costly to create). */
function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when `timeZone` is an IANA time zone name this runtime knows (e.g. "Europe/Paris", "UTC"). */
export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== "string" || timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTimeOf(ms: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(ms)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The zone's offset from UTC at `ms`, in milliseconds (whole seconds; sub-second parts of `ms` ignored). */
function offsetAt(ms: number, timeZone: string): number {
  const wall = wallTimeOf(ms, timeZone);
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return wallAsUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The first instant of a local calendar date in `timeZone`: its midnight, or, where a daylight saving change
 * skips midnight, the first instant that exists on that date.
 */
function startOfLocalDate(year: number, month: number, day: number, timeZone: string): number {
  const midnightAsUtc = Date.UTC(year, month - 1, day);
  // Two passes: the offset at the first guess can differ from the offset at midnight itself across a DST change.
  let candidate = midnightAsUtc - offsetAt(midnightAsUtc, timeZone);
  candidate = midnightAsUtc - offsetAt(candidate, timeZone);
  const wall = wallTimeOf(candidate, timeZone);
  if (wall.year !== year || wall.month !== month || wall.day !== day) {
    // Midnight does not exist that day (clocks jumped from 23:59 to 01:00): the day starts at the jump.
    candidate += 3_600_000;
  }
  return candidate;
}

/** The last period asked for per interval and zone: verification asks on every call, mostly in one period. */
const lastPeriods = new Map<string, { start: number; end: number }>();

/**
 * The latest refill boundary at or before `nowMs`: the start of the current local day, or of the current local
 * month, in `timeZone`. A quota whose balance belongs to an earlier boundary is due its refill.
 */
export function latestRefillBoundary(nowMs: number, interval: RefillInterval, timeZone: string): number {
  // Formatting dates in a time zone costs microseconds: reuse the period until now leaves it.
  const cacheKey = `${interval}|${timeZone}`;
  const last = lastPeriods.get(cacheKey);
  if (last !== undefined && last.start <= nowMs && nowMs < last.end) return last.start;
  const start = computeLatestBoundary(nowMs, interval, timeZone);
  if (lastPeriods.size >= 1_000) lastPeriods.clear();
  lastPeriods.set(cacheKey, { start, end: nextRefillBoundary(nowMs, interval, timeZone) });
  return start;
}

function computeLatestBoundary(nowMs: number, interval: RefillInterval, timeZone: string): number {
  const wall = wallTimeOf(nowMs, timeZone);
  const start = startOfLocalDate(wall.year, wall.month, interval === "day" ? wall.day : 1, timeZone);
  // Guard the edge where now is within the first instants after a boundary the formatter rounds differently.
  return start <= nowMs ? start : computeLatestBoundary(start - 1, interval, timeZone);
}

/** The refill boundary after `nowMs`: the start of the next local day or month in `timeZone`. */
export function nextRefillBoundary(nowMs: number, interval: RefillInterval, timeZone: string): number {
  const wall = wallTimeOf(nowMs, timeZone);
  if (interval === "day") {
    const next = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + 1));
    return startOfLocalDate(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
  }
  const next = new Date(Date.UTC(wall.year, wall.month, 1));
  return startOfLocalDate(next.getUTCFullYear(), next.getUTCMonth() + 1, 1, timeZone);
}
