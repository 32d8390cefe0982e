import { formatIpAddress, type IpAddress, MAX_IP_ADDRESS_LENGTH, parseIpAddress } from "./ip-address.js";
import { type FieldError, KeywardError } from "./keyward-error.js";

/** A CIDR range: a network address whose bits after `prefixLength` are all zero. */
export interface IpRange {
  readonly address: IpAddress;
  /** 0–32 for IPv4, 0–128 for IPv6. */
  readonly prefixLength: number;
}

/** What {@link parseIpRange} returns: the range, or why the text is not one, phrased to follow a field name. */
export type IpRangeParseResult = { ok: true; range: IpRange } | { ok: false; reason: string };

/** A compiled allowlist: what {@link isIpAllowed} checks; build it with {@link compileIpAllowlist}. */
export interface IpAllowlist {
  /** The entries in canonical form, de-duplicated, in the order given. */
  readonly entries: readonly string[];
  /**
   * Eight 32-bit words per entry: the network, then the mask, each as a 128-bit value in which an IPv4 range
   * stands as its IPv4-mapped IPv6 range (`10.0.0.0/8` as `::ffff:10.0.0.0/104`). Precomputed so a check does no
   * parsing or string work.
   */
  readonly matchTable: Int32Array;
}

/** Options for {@link compileIpAllowlist} and {@link normalizeIpAllowlist}. */
export interface IpAllowlistOptions {
  /** JSON pointer of the list in the request, for field errors; `/ipAllowlist` unless set. */
  pointerPrefix?: string;
}

/** Most entries one allowlist may have. */
export const MAX_IP_ALLOWLIST_ENTRIES = 100;

/** Longest range text accepted: the longest address plus `/128`. */
export const MAX_IP_RANGE_LENGTH = MAX_IP_ADDRESS_LENGTH + 4;

const EXPECTED_RANGE = "must be an IP address or CIDR range such as 203.0.113.0/24 or 2001:db8::/32";
const EXPECTED_RANGES = "must be IP addresses or CIDR ranges such as 203.0.113.0/24 or 2001:db8::/32";

/**
 * Parses an address (a range of one: /32 or /128) or a CIDR range `address/prefix`, the prefix in decimal without
 * leading zeros. A range with host bits set (`10.0.0.1/8`) is refused, naming the network it may have meant:
 * silently widening or narrowing a mistyped range would change who may use a key.
 */
export function parseIpRange(text: string): IpRangeParseResult {
  if (typeof text !== "string" || text.length === 0) return { ok: false, reason: EXPECTED_RANGE };
  if (text.length > MAX_IP_RANGE_LENGTH) {
    return { ok: false, reason: `must be at most ${MAX_IP_RANGE_LENGTH} characters` };
  }
  if (text.includes("%")) {
    return {
      ok: false,
      reason: "must not have an IPv6 zone id such as %eth0, which names a local interface",
    };
  }
  const slash = text.indexOf("/");
  const address = parseIpAddress(slash === -1 ? text : text.slice(0, slash));
  if (address === null) return { ok: false, reason: EXPECTED_RANGE };
  const maxPrefix = address.bytes.length * 8;
  if (slash === -1) return { ok: true, range: { address, prefixLength: maxPrefix } };
  const prefixLength = parsePrefixLength(text, slash + 1, maxPrefix);
  if (prefixLength === null) {
    return { ok: false, reason: `must have a prefix length from 0 to ${maxPrefix} after the slash` };
  }
  const network = networkOf(address, prefixLength);
  if (!sameBytes(network.bytes, address.bytes)) {
    const meant = `${formatIpAddress(network)}/${prefixLength}`;
    return { ok: false, reason: `has host bits set; did you mean ${meant}?` };
  }
  return { ok: true, range: { address, prefixLength } };
}

/** The canonical text of a range: the address alone for a single address, else `network/prefix`. */
export function formatIpRange(range: IpRange): string {
  const address = formatIpAddress(range.address);
  return range.prefixLength === range.address.bytes.length * 8 ? address : `${address}/${range.prefixLength}`;
}

/**
 * Compiles allowlist entries for {@link isIpAllowed}. Throws one VALIDATION_ERROR naming every invalid entry at
 * `<pointerPrefix>/<index>`, or the list itself when it has more than {@link MAX_IP_ALLOWLIST_ENTRIES} entries.
 */
export function compileIpAllowlist(
  entries: readonly string[],
  options: IpAllowlistOptions = {},
): IpAllowlist {
  const pointerPrefix = options.pointerPrefix ?? "/ipAllowlist";
  if (entries.length > MAX_IP_ALLOWLIST_ENTRIES) {
    throwFieldErrors([
      { pointer: pointerPrefix, detail: `must have at most ${MAX_IP_ALLOWLIST_ENTRIES} entries` },
    ]);
  }
  const errors: FieldError[] = [];
  const canonical: string[] = [];
  const ranges: IpRange[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const parsed = parseIpRange(entry);
    if (!parsed.ok) {
      errors.push({ pointer: `${pointerPrefix}/${index}`, detail: parsed.reason });
      return;
    }
    const text = formatIpRange(parsed.range);
    if (seen.has(text)) return;
    seen.add(text);
    canonical.push(text);
    ranges.push(parsed.range);
  });
  if (errors.length > 0) throwFieldErrors(errors);
  const matchTable = new Int32Array(ranges.length * 8);
  ranges.forEach((range, index) => {
    const network = toMatchWords(range.address);
    const offset = range.address.version === 4 ? 96 : 0;
    for (let word = 0; word < 4; word++) {
      matchTable[index * 8 + word] = network[word] ?? 0;
      matchTable[index * 8 + 4 + word] = maskWord(range.prefixLength + offset, word);
    }
  });
  return Object.freeze({ entries: Object.freeze(canonical), matchTable });
}

/**
 * The entries in canonical form, de-duplicated, in the order given: what to store and display. Throws as
 * {@link compileIpAllowlist} does.
 */
export function normalizeIpAllowlist(entries: readonly string[], options: IpAllowlistOptions = {}): string[] {
  return [...compileIpAllowlist(entries, options).entries];
}

/**
 * True when the address is in one of the list's ranges; false for an empty list (deny all) and for text that is
 * not an address. Whether a missing list means "unrestricted" is the caller's decision, not this function's.
 *
 * IPv4 and IPv4-mapped IPv6 are one address space here, so the answer never depends on whether a dual-stack
 * socket reported a client as `192.0.2.1` or `::ffff:192.0.2.1`: each matches `192.0.2.0/24` and
 * `::ffff:192.0.2.0/120` alike, and IPv6 ranges covering the mapped block (`::/0`) cover IPv4 clients too.
 */
export function isIpAllowed(list: IpAllowlist, ip: string | IpAddress): boolean {
  const address = typeof ip === "string" ? parseIpAddress(ip) : ip;
  if (address === null) return false;
  const bytes = address.bytes;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  if (address.version === 4 && bytes.length === 4) {
    a2 = 0xffff;
    a3 = readWord(bytes, 0);
  } else if (address.version === 6 && bytes.length === 16) {
    a0 = readWord(bytes, 0);
    a1 = readWord(bytes, 4);
    a2 = readWord(bytes, 8);
    a3 = readWord(bytes, 12);
  } else {
    return false;
  }
  const table = list.matchTable;
  for (let i = 0; i < table.length; i += 8) {
    if (
      (a0 & (table[i + 4] ?? 0)) === table[i] &&
      (a1 & (table[i + 5] ?? 0)) === table[i + 1] &&
      (a2 & (table[i + 6] ?? 0)) === table[i + 2] &&
      (a3 & (table[i + 7] ?? 0)) === table[i + 3]
    ) {
      return true;
    }
  }
  return false;
}

function throwFieldErrors(errors: FieldError[]): never {
  const [first] = errors;
  if (first === undefined || errors.length > 1) {
    const subjects = errors.map((error) => error.pointer.slice(1)).join(", ");
    throw new KeywardError("VALIDATION_ERROR", `${subjects} ${EXPECTED_RANGES}.`, { errors });
  }
  const end = first.detail.endsWith("?") ? "" : ".";
  throw new KeywardError("VALIDATION_ERROR", `${first.pointer.slice(1)} ${first.detail}${end}`, { errors });
}

/** Decimal digits text[start..] without a leading zero, at most maxPrefix; null otherwise. */
function parsePrefixLength(text: string, start: number, maxPrefix: number): number | null {
  if (start === text.length || text.length - start > 3) return null;
  if (text.charCodeAt(start) === 48 && text.length - start > 1) return null;
  let value = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    value = value * 10 + (c - 48);
  }
  return value <= maxPrefix ? value : null;
}

function networkOf(address: IpAddress, prefixLength: number): IpAddress {
  const bytes = address.bytes.slice();
  for (let i = 0; i < bytes.length; i++) {
    const kept = Math.min(Math.max(prefixLength - i * 8, 0), 8);
    bytes[i] = (bytes[i] ?? 0) & ((0xff00 >> kept) & 0xff);
  }
  return { version: address.version, bytes };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function readWord(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) << 24) |
    ((bytes[offset + 1] ?? 0) << 16) |
    ((bytes[offset + 2] ?? 0) << 8) |
    (bytes[offset + 3] ?? 0)
  );
}

/** The four 32-bit words of the address as a 128-bit value, IPv4 as its IPv4-mapped IPv6 address. */
function toMatchWords(address: IpAddress): [number, number, number, number] {
  if (address.version === 4) return [0, 0, 0xffff, readWord(address.bytes, 0)];
  return [
    readWord(address.bytes, 0),
    readWord(address.bytes, 4),
    readWord(address.bytes, 8),
    readWord(address.bytes, 12),
  ];
}

/** Word `word` (0–3) of a 128-bit mask with `prefixLength` leading one bits, as a signed 32-bit value. */
function maskWord(prefixLength: number, word: number): number {
  const bits = Math.min(Math.max(prefixLength - word * 32, 0), 32);
  return bits === 0 ? 0 : (-1 << (32 - bits)) | 0;
}
