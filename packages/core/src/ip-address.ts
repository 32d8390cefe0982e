/** An IPv4 (4 bytes) or IPv6 (16 bytes) address, in network byte order. */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
}

/** Longest address text accepted; the longest valid form (`ffff:…:255.255.255.255`) has 45 characters. */
export const MAX_IP_ADDRESS_LENGTH = 64;

/**
 * Parses an IPv4 dotted quad or an IPv6 address in any RFC 4291 text form; null for anything else.
 *
 * IPv4 is strict: exactly four decimal parts 0–255 without leading zeros, so `010.0.0.1` (octal to some parsers)
 * and `0x7f.1` are refused rather than guessed at. IPv6 accepts 1–4 hex digits per group in either case, one
 * `::`, and a dotted-quad tail (`::ffff:192.0.2.1`); `::1.2.3.4` is the IPv4-compatible address `::102:304`, as
 * RFC 4291 defines it, not an IPv4-mapped one. A zone id (`fe80::1%eth0`) is refused: it names a local
 * interface, which an allowlist cannot mean. Checked by a character loop, never a regex.
 */
export function parseIpAddress(text: string): IpAddress | null {
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_IP_ADDRESS_LENGTH) return null;
  if (text.includes(":")) {
    const bytes = new Uint8Array(16);
    return parseIpv6(text, bytes) ? { version: 6, bytes } : null;
  }
  const bytes = new Uint8Array(4);
  return parseIpv4(text, 0, text.length, bytes, 0) ? { version: 4, bytes } : null;
}

/**
 * The canonical text of an address: IPv4 dotted decimal; IPv6 per RFC 5952 (lowercase, no leading zeros, the
 * longest run of two or more zero groups shortened to `::`, the first on a tie). IPv4-mapped addresses keep their
 * dotted tail (`::ffff:192.0.2.1`), as RFC 5952 section 5 recommends and as Node reports dual-stack peers.
 */
export function formatIpAddress(address: IpAddress): string {
  const bytes = address.bytes;
  if (address.version === 4) return formatIpv4(bytes, 0);
  if (isIpv4MappedBytes(bytes)) return `::ffff:${formatIpv4(bytes, 12)}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never shortened (RFC 5952, 4.2.2)
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}

/** True when the address is an IPv4-mapped IPv6 address (`::ffff:0:0/96`). */
export function isIpv4Mapped(address: IpAddress): boolean {
  return address.version === 6 && isIpv4MappedBytes(address.bytes);
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:192.0.2.1` → `192.0.2.1`); any other unchanged. */
export function toIpv4IfMapped(address: IpAddress): IpAddress {
  return isIpv4Mapped(address) ? { version: 4, bytes: address.bytes.slice(12, 16) } : address;
}

function isIpv4MappedBytes(bytes: Uint8Array): boolean {
  if (bytes.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset] ?? 0}.${bytes[offset + 1] ?? 0}.${bytes[offset + 2] ?? 0}.${bytes[offset + 3] ?? 0}`;
}

/** Writes the dotted quad text[start, end) into out[offset..offset+3]; false unless it is strictly valid. */
function parseIpv4(text: string, start: number, end: number, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 46 : text.charCodeAt(i); // a virtual '.' closes the last part
    if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) return false; // leading zero
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return false;
    } else if (c === 46) {
      if (digits === 0 || part === 4) return false;
      out[offset + part] = value;
      part++;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Reads the colon-separated groups of text[start, end) into `groups` (16-bit values); a dotted quad may end the
 * run when `ipv4TailAllowed`, adding two groups. Returns the number of groups, or -1 when malformed.
 */
function readGroups(
  text: string,
  start: number,
  end: number,
  ipv4TailAllowed: boolean,
  groups: number[],
): number {
  if (start === end) return 0;
  let count = 0;
  let groupStart = start;
  for (let i = start; i <= end; i++) {
    if (i < end && text.charCodeAt(i) !== 58) continue;
    // text[groupStart, i) is one group.
    const length = i - groupStart;
    if (length === 0 || count >= 8) return -1;
    const dot = text.indexOf(".", groupStart);
    if (dot !== -1 && dot < i) {
      if (!ipv4TailAllowed || i !== end || count > 6) return -1;
      const quad = new Uint8Array(4);
      if (!parseIpv4(text, groupStart, i, quad, 0)) return -1;
      groups.push(((quad[0] ?? 0) << 8) | (quad[1] ?? 0), ((quad[2] ?? 0) << 8) | (quad[3] ?? 0));
      return count + 2;
    }
    if (length > 4) return -1;
    let value = 0;
    for (let j = groupStart; j < i; j++) {
      const digit = hexValue(text.charCodeAt(j));
      if (digit === -1) return -1;
      value = value * 16 + digit;
    }
    groups.push(value);
    count++;
    groupStart = i + 1;
  }
  return count;
}

function parseIpv6(text: string, out: Uint8Array): boolean {
  const gap = text.indexOf("::");
  if (gap !== -1 && text.indexOf("::", gap + 1) !== -1) return false; // at most one "::", and no ":::"
  const head: number[] = [];
  const tail: number[] = [];
  let groups: number[];
  if (gap === -1) {
    if (readGroups(text, 0, text.length, true, head) !== 8) return false;
    groups = head;
  } else {
    const headCount = readGroups(text, 0, gap, false, head);
    const tailCount = readGroups(text, gap + 2, text.length, true, tail);
    // "::" stands for at least one zero group.
    if (headCount === -1 || tailCount === -1 || headCount + tailCount > 7) return false;
    groups = [...head, ...new Array<number>(8 - headCount - tailCount).fill(0), ...tail];
  }
  for (let i = 0; i < 8; i++) {
    const group = groups[i] ?? 0;
    out[2 * i] = group >> 8;
    out[2 * i + 1] = group & 0xff;
  }
  return true;
}
