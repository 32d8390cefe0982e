/** An ISO 8601 duration with whole, non-negative components, as project policies use them (`P90D`, `P1Y6M`). */
export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/** Longest duration text accepted: ample for any real policy, and it bounds the work done on untrusted input. */
const MAX_DURATION_LENGTH = 40;
/** Most digits in one component: 999,999 of any unit is already far beyond any real policy. */
const MAX_COMPONENT_DIGITS = 6;

const DAY_MS = 86_400_000;
/** The furthest instant from the epoch a `Date` can hold (ECMA-262 time value range). */
const MAX_TIME_MS = 8.64e15;

type Component = readonly [designator: string, field: keyof Duration];

const DATE_COMPONENTS: readonly Component[] = [
  ["Y", "years"],
  ["M", "months"],
  ["W", "weeks"],
  ["D", "days"],
];
const TIME_COMPONENTS: readonly Component[] = [
  ["H", "hours"],
  ["M", "minutes"],
  ["S", "seconds"],
];

/**
 * Parses `P[nY][nM][nW][nD][T[nH][nM][nS]]` with integer components of at most six digits, uppercase, in order,
 * each at most once; returns null for anything else, including the zero duration. A character loop, never a regex.
 */
export function parseDuration(text: string): Duration | null {
  if (typeof text !== "string" || text.length > MAX_DURATION_LENGTH || text[0] !== "P") return null;
  const duration = zeroDuration();
  let components = DATE_COMPONENTS;
  let next = 0; // index in `components` of the earliest designator still allowed, which enforces order
  let i = 1;
  while (i < text.length) {
    if (text[i] === "T") {
      // 'T' opens the time part once, and must be followed by at least one component.
      if (components === TIME_COMPONENTS || i === text.length - 1) return null;
      components = TIME_COMPONENTS;
      next = 0;
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    const digits = i - start;
    if (digits === 0 || digits > MAX_COMPONENT_DIGITS) return null;
    const designator = text[i];
    const position = components.findIndex(([d], index) => index >= next && d === designator);
    const component = components[position];
    if (component === undefined) return null;
    duration[component[1]] = Number(text.slice(start, i));
    next = position + 1;
    i++;
  }
  // Also rejects the bare "P": a policy of zero length is meaningless.
  return isZeroDuration(duration) ? null : duration;
}

/**
 * The canonical text of a duration: only its non-zero components, in order (`P1DT2H30M`). The zero duration
 * formats as `PT0S`, which {@link parseDuration} rejects.
 */
export function formatDuration(d: Duration): string {
  const date = DATE_COMPONENTS.map(([designator, field]) =>
    d[field] === 0 ? "" : `${d[field]}${designator}`,
  );
  const time = TIME_COMPONENTS.map(([designator, field]) =>
    d[field] === 0 ? "" : `${d[field]}${designator}`,
  );
  const datePart = date.join("");
  const timePart = time.join("");
  if (datePart === "" && timePart === "") return "PT0S";
  return timePart === "" ? `P${datePart}` : `P${datePart}T${timePart}`;
}

/**
 * The instant `d` after `ms`, in UTC calendar arithmetic: years and months move the calendar month (a day the
 * month lacks becomes its last millisecond: Jan 31 10:00 + P1M = Feb 28 23:59:59.999), then weeks and days add
 * whole days, then hours, minutes and seconds. Monotonic in `ms`. Saturates at the latest instant a `Date` holds.
 */
export function addDuration(ms: number, d: Duration): number {
  const shifted = shiftMonths(ms, d.years * 12 + d.months);
  return clampTime(shifted + wholeDaysMs(d) + timeMs(d));
}

/**
 * The instant `d` before `ms`: the mirror of {@link addDuration} (months back, a missing day becoming the month's
 * last millisecond, then days, then time). Monotonic in `ms`. Saturates at the earliest instant a `Date` holds.
 */
export function subtractDuration(ms: number, d: Duration): number {
  const shifted = shiftMonths(ms, -(d.years * 12 + d.months));
  return clampTime(shifted - wholeDaysMs(d) - timeMs(d));
}

function zeroDuration(): Duration {
  return { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0 };
}

function isZeroDuration(d: Duration): boolean {
  return (
    DATE_COMPONENTS.every(([, field]) => d[field] === 0) &&
    TIME_COMPONENTS.every(([, field]) => d[field] === 0)
  );
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function wholeDaysMs(d: Duration): number {
  // UTC has no daylight saving time, so a day is always exactly DAY_MS.
  return (d.weeks * 7 + d.days) * DAY_MS;
}

function timeMs(d: Duration): number {
  return ((d.hours * 60 + d.minutes) * 60 + d.seconds) * 1000;
}

/**
 * Moves `ms` by whole calendar months, keeping the day of month and the time of day; a day the target month does
 * not have becomes that month's last millisecond. Keeping the time of day there instead (Jan 30 23:00 + P1M =
 * Feb 28 23:00 but Jan 31 10:00 + P1M = Feb 28 10:00) would let a later start give an earlier result, and a
 * policy cutoff computed from "now" would then move backwards for a few hours around month ends.
 */
function shiftMonths(ms: number, months: number): number {
  if (months === 0) return ms;
  const date = new Date(ms);
  const timeOfDayMs = ms - Math.floor(ms / DAY_MS) * DAY_MS;
  const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  const lastDay = daysInMonth(year, month);
  if (date.getUTCDate() > lastDay) return (daysFromCivil(year, month, lastDay) + 1) * DAY_MS - 1;
  return daysFromCivil(year, month, date.getUTCDate()) * DAY_MS + timeOfDayMs;
}

function daysInMonth(year: number, month: number): number {
  if (month === 1) return isLeapYear(year) ? 29 : 28;
  return month === 3 || month === 5 || month === 8 || month === 10 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (month 0-11), by Howard Hinnant's algorithm. Used instead of
 * `Date.UTC`, which reads years 0-99 as 1900-1999 and returns NaN past the `Date` range.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month < 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (month + 10) % 12;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function clampTime(ms: number): number {
  return Math.min(MAX_TIME_MS, Math.max(-MAX_TIME_MS, ms));
}
