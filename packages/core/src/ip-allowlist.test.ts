import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { formatIpAddress, type IpAddress, parseIpAddress } from "./ip-address.js";
import {
  compileIpAllowlist,
  formatIpRange,
  isIpAllowed,
  MAX_IP_ALLOWLIST_ENTRIES,
  MAX_IP_RANGE_LENGTH,
  normalizeIpAllowlist,
  parseIpRange,
} from "./ip-allowlist.js";
import { KeywardError } from "./keyward-error.js";

function caught(run: () => unknown): KeywardError {
  try {
    run();
  } catch (error) {
    if (error instanceof KeywardError) return error;
    throw error;
  }
  throw new Error("expected a KeywardError");
}

function allowed(entries: readonly string[], ip: string): boolean {
  return isIpAllowed(compileIpAllowlist(entries), ip);
}

const EXPECTED_RANGE = "must be an IP address or CIDR range such as 203.0.113.0/24 or 2001:db8::/32";

describe("parseIpRange()", () => {
  it.each([
    ["10.0.0.0/8", "10.0.0.0", 8, "10.0.0.0/8"],
    ["0.0.0.0/0", "0.0.0.0", 0, "0.0.0.0/0"],
    ["192.0.2.1/32", "192.0.2.1", 32, "192.0.2.1"],
    ["192.0.2.1", "192.0.2.1", 32, "192.0.2.1"],
    ["192.0.2.128/25", "192.0.2.128", 25, "192.0.2.128/25"],
    ["::/0", "::", 0, "::/0"],
    ["::1", "::1", 128, "::1"],
    ["::1/128", "::1", 128, "::1"],
    ["2001:DB8::/32", "2001:db8::", 32, "2001:db8::/32"],
    ["2001:db8:8000::/33", "2001:db8:8000::", 33, "2001:db8:8000::/33"],
    ["2001:0db8:0000:0000:0000:0000:0000:0000/127", "2001:db8::", 127, "2001:db8::/127"],
    ["::ffff:10.0.0.0/104", "::ffff:10.0.0.0", 104, "::ffff:10.0.0.0/104"],
    ["::ffff:0:0/96", "::ffff:0.0.0.0", 96, "::ffff:0.0.0.0/96"],
  ])("reads %s", (text, network, prefixLength, canonical) => {
    const parsed = parseIpRange(text);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(formatIpAddress(parsed.range.address)).toBe(network);
    expect(parsed.range.prefixLength).toBe(prefixLength);
    expect(formatIpRange(parsed.range)).toBe(canonical);
  });

  it.each([
    ["10.0.0.1/8", "has host bits set; did you mean 10.0.0.0/8?"],
    ["192.0.2.1/0", "has host bits set; did you mean 0.0.0.0/0?"],
    ["192.0.2.129/25", "has host bits set; did you mean 192.0.2.128/25?"],
    ["192.0.2.1/31", "has host bits set; did you mean 192.0.2.0/31?"],
    ["2001:db8::1/32", "has host bits set; did you mean 2001:db8::/32?"],
    ["2001:db8::1/127", "has host bits set; did you mean 2001:db8::/127?"],
    ["::1/0", "has host bits set; did you mean ::/0?"],
    ["::ffff:10.1.2.3/104", "has host bits set; did you mean ::ffff:10.0.0.0/104?"],
    ["10.0.0.0/33", "must have a prefix length from 0 to 32 after the slash"],
    ["10.0.0.0/08", "must have a prefix length from 0 to 32 after the slash"],
    ["10.0.0.0/00", "must have a prefix length from 0 to 32 after the slash"],
    ["10.0.0.0/", "must have a prefix length from 0 to 32 after the slash"],
    ["10.0.0.0/8/8", "must have a prefix length from 0 to 32 after the slash"],
    ["10.0.0.0/-1", "must have a prefix length from 0 to 32 after the slash"],
    ["10.0.0.0/+8", "must have a prefix length from 0 to 32 after the slash"],
    ["10.0.0.0/ 8", "must have a prefix length from 0 to 32 after the slash"],
    ["10.0.0.0/8 ", "must have a prefix length from 0 to 32 after the slash"],
    ["10.0.0.0/1000", "must have a prefix length from 0 to 32 after the slash"],
    ["10.0.0.0/255.0.0.0", "must have a prefix length from 0 to 32 after the slash"],
    ["::/129", "must have a prefix length from 0 to 128 after the slash"],
    ["::/0128", "must have a prefix length from 0 to 128 after the slash"],
    ["fe80::/1e1", "must have a prefix length from 0 to 128 after the slash"],
    ["fe80::1%eth0", "must not have an IPv6 zone id such as %eth0, which names a local interface"],
    ["fe80::%eth0/64", "must not have an IPv6 zone id such as %eth0, which names a local interface"],
    ["", EXPECTED_RANGE],
    ["/8", EXPECTED_RANGE],
    ["10.0.0/8", EXPECTED_RANGE],
    ["010.0.0.0/8", EXPECTED_RANGE],
    [" 10.0.0.0/8", EXPECTED_RANGE],
    ["10.0.0.0-10.0.0.255", EXPECTED_RANGE],
    ["10.0.0.*", EXPECTED_RANGE],
    ["localhost", EXPECTED_RANGE],
    ["[::1]/128", EXPECTED_RANGE],
    ["2001:db8:::/48", EXPECTED_RANGE],
    [`${"0".repeat(MAX_IP_RANGE_LENGTH)}::/0`, `must be at most ${MAX_IP_RANGE_LENGTH} characters`],
  ])("refuses %j: %s", (text, reason) => {
    expect(parseIpRange(text)).toEqual({ ok: false, reason });
  });

  it("refuses values that are not strings", () => {
    for (const value of [undefined, null, 8, {}, ["10.0.0.0/8"]]) {
      expect(parseIpRange(value as unknown as string)).toEqual({ ok: false, reason: EXPECTED_RANGE });
    }
  });
});

describe("compileIpAllowlist()", () => {
  it("keeps canonical entries in order, once each", () => {
    const list = compileIpAllowlist([
      "2001:DB8::/32",
      "10.0.0.1/32",
      "10.0.0.1",
      "2001:0db8:0:0:0:0:0:0/32",
      "::FFFF:a00:0/104",
    ]);
    expect(list.entries).toEqual(["2001:db8::/32", "10.0.0.1", "::ffff:10.0.0.0/104"]);
    expect(list.matchTable.length).toBe(3 * 8);
    expect(Object.isFrozen(list)).toBe(true);
    expect(Object.isFrozen(list.entries)).toBe(true);
  });

  it("names every invalid entry at once, with its own reason", () => {
    const error = caught(() =>
      compileIpAllowlist(["10.0.0.0/8", "10.0.0.1/8", "nope", "::1", "fe80::1%eth0", "::/129"]),
    );
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(error.status).toBe(400);
    expect(error.errors).toEqual([
      { pointer: "/ipAllowlist/1", detail: "has host bits set; did you mean 10.0.0.0/8?" },
      { pointer: "/ipAllowlist/2", detail: EXPECTED_RANGE },
      {
        pointer: "/ipAllowlist/4",
        detail: "must not have an IPv6 zone id such as %eth0, which names a local interface",
      },
      { pointer: "/ipAllowlist/5", detail: "must have a prefix length from 0 to 128 after the slash" },
    ]);
    expect(error.message).toBe(
      "ipAllowlist/1, ipAllowlist/2, ipAllowlist/4, ipAllowlist/5 must be IP addresses or CIDR ranges such as " +
        "203.0.113.0/24 or 2001:db8::/32.",
    );
  });

  it("words a single invalid entry as one sentence", () => {
    expect(caught(() => compileIpAllowlist(["10.0.0.1/8"])).message).toBe(
      "ipAllowlist/0 has host bits set; did you mean 10.0.0.0/8?",
    );
    expect(caught(() => compileIpAllowlist(["::/129"])).message).toBe(
      "ipAllowlist/0 must have a prefix length from 0 to 128 after the slash.",
    );
  });

  it("puts errors under the pointerPrefix it is given", () => {
    const error = caught(() =>
      compileIpAllowlist(["192.0.2.0/24", "bad"], { pointerPrefix: "/settings/ipAllowlist" }),
    );
    expect(error.errors).toEqual([{ pointer: "/settings/ipAllowlist/1", detail: EXPECTED_RANGE }]);
    expect(error.message).toBe(`settings/ipAllowlist/1 ${EXPECTED_RANGE}.`);
  });

  it(`accepts ${MAX_IP_ALLOWLIST_ENTRIES} entries and refuses one more`, () => {
    const entries = Array.from({ length: MAX_IP_ALLOWLIST_ENTRIES + 1 }, (_, i) => `10.0.${i}.0/24`);
    expect(compileIpAllowlist(entries.slice(0, -1)).entries).toHaveLength(MAX_IP_ALLOWLIST_ENTRIES);
    const error = caught(() => compileIpAllowlist(entries));
    expect(error.errors).toEqual([
      { pointer: "/ipAllowlist", detail: `must have at most ${MAX_IP_ALLOWLIST_ENTRIES} entries` },
    ]);
    expect(error.message).toBe(`ipAllowlist must have at most ${MAX_IP_ALLOWLIST_ENTRIES} entries.`);
  });

  it("compiles an empty list", () => {
    expect(compileIpAllowlist([]).entries).toEqual([]);
  });
});

describe("normalizeIpAllowlist()", () => {
  it("returns canonical, de-duplicated entries in their first order", () => {
    expect(
      normalizeIpAllowlist(["192.0.2.7/32", "2001:0DB8::0001", "192.0.2.7", "0.0.0.0/0", "2001:db8::1/128"]),
    ).toEqual(["192.0.2.7", "2001:db8::1", "0.0.0.0/0"]);
  });

  it("throws as compileIpAllowlist() does", () => {
    const error = caught(() => normalizeIpAllowlist(["10.0.0.0/8", "10.0.0.1/8"], { pointerPrefix: "/x" }));
    expect(error.errors).toEqual([
      { pointer: "/x/1", detail: "has host bits set; did you mean 10.0.0.0/8?" },
    ]);
  });
});

describe("isIpAllowed()", () => {
  it.each([
    // [range, first, last, just before, just after]
    ["10.0.0.0/8", "10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0"],
    ["192.0.2.128/25", "192.0.2.128", "192.0.2.255", "192.0.2.127", "192.0.3.0"],
    ["192.0.2.0/31", "192.0.2.0", "192.0.2.1", "192.0.1.255", "192.0.2.2"],
    ["172.16.0.0/12", "172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0"],
    ["128.0.0.0/1", "128.0.0.0", "255.255.255.255", "127.255.255.255", null],
    ["0.0.0.0/1", "0.0.0.0", "127.255.255.255", null, "128.0.0.0"],
    [
      "2001:db8::/32",
      "2001:db8::",
      "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
      "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
      "2001:db9::",
    ],
    [
      "2001:db8:8000::/33",
      "2001:db8:8000::",
      "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
      "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff",
      "2001:db9::",
    ],
    [
      "2001:db8::/64",
      "2001:db8::",
      "2001:db8::ffff:ffff:ffff:ffff",
      "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
      "2001:db8:0:1::",
    ],
    [
      "2001:db8::/97",
      "2001:db8::",
      "2001:db8::7fff:ffff",
      "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
      "2001:db8::8000:0",
    ],
    ["2001:db8::100/127", "2001:db8::100", "2001:db8::101", "2001:db8::ff", "2001:db8::102"],
    [
      "8000::/1",
      "8000::",
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      null,
    ],
  ])("%s holds %s to %s, not %s or %s", (range, first, last, before, after) => {
    expect(allowed([range], first)).toBe(true);
    expect(allowed([range], last)).toBe(true);
    if (before !== null) expect(allowed([range], before)).toBe(false);
    if (after !== null) expect(allowed([range], after)).toBe(false);
  });

  it("matches a single address exactly at /32 and /128, and everything of its family at /0", () => {
    expect(allowed(["192.0.2.1"], "192.0.2.1")).toBe(true);
    expect(allowed(["192.0.2.1/32"], "192.0.2.0")).toBe(false);
    expect(allowed(["192.0.2.1/32"], "192.0.2.2")).toBe(false);
    expect(allowed(["2001:db8::1/128"], "2001:DB8:0::1")).toBe(true);
    expect(allowed(["2001:db8::1"], "2001:db8::")).toBe(false);
    expect(allowed(["2001:db8::1"], "2001:db8::2")).toBe(false);
    expect(allowed(["0.0.0.0/0"], "0.0.0.0")).toBe(true);
    expect(allowed(["0.0.0.0/0"], "255.255.255.255")).toBe(true);
    expect(allowed(["0.0.0.0/0"], "::ffff:203.0.113.9")).toBe(true);
    expect(allowed(["0.0.0.0/0"], "2001:db8::1")).toBe(false);
    expect(allowed(["0.0.0.0/0"], "::")).toBe(false);
    expect(allowed(["::/0"], "::")).toBe(true);
    expect(allowed(["::/0"], "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).toBe(true);
  });

  it("matches an IPv4-mapped client against IPv4 ranges", () => {
    expect(allowed(["10.0.0.0/8"], "::ffff:10.1.2.3")).toBe(true);
    expect(allowed(["10.0.0.0/8"], "::ffff:a01:203")).toBe(true);
    expect(allowed(["10.0.0.0/8"], "::ffff:11.0.0.0")).toBe(false);
    expect(allowed(["192.0.2.1"], "::ffff:192.0.2.1")).toBe(true);
    // Only the mapped block is IPv4: the IPv4-compatible and NAT64 spellings are other addresses.
    expect(allowed(["10.0.0.0/8"], "::10.1.2.3")).toBe(false);
    expect(allowed(["10.0.0.0/8"], "64:ff9b::10.1.2.3")).toBe(false);
  });

  it("matches an IPv4 client against IPv6 ranges over the mapped block", () => {
    expect(allowed(["::ffff:10.0.0.0/104"], "10.1.2.3")).toBe(true);
    expect(allowed(["::ffff:10.0.0.0/104"], "11.0.0.0")).toBe(false);
    expect(allowed(["::ffff:10.0.0.0/104"], "9.255.255.255")).toBe(false);
    expect(allowed(["::ffff:0:0/96"], "203.0.113.9")).toBe(true);
    expect(allowed(["::ffff:192.0.2.1"], "192.0.2.1")).toBe(true);
    expect(allowed(["::ffff:192.0.2.1"], "192.0.2.2")).toBe(false);
    // A wider IPv6 range covers the mapped block, so it covers IPv4 clients too.
    expect(allowed(["::/0"], "203.0.113.9")).toBe(true);
    expect(allowed(["::/80"], "203.0.113.9")).toBe(true);
    expect(allowed(["::/96"], "203.0.113.9")).toBe(false);
    expect(allowed(["2001:db8::/32"], "203.0.113.9")).toBe(false);
  });

  it("gives a client the same answer whether it is seen as IPv4 or as IPv4-mapped IPv6", () => {
    const list = compileIpAllowlist(["10.0.0.0/8", "::ffff:192.0.2.0/120", "2001:db8::/32"]);
    for (const [ipv4, mapped] of [
      ["10.9.9.9", "::ffff:10.9.9.9"],
      ["192.0.2.77", "::ffff:192.0.2.77"],
      ["198.51.100.1", "::ffff:198.51.100.1"],
    ] as const) {
      expect(isIpAllowed(list, ipv4)).toBe(isIpAllowed(list, mapped));
    }
  });

  it("allows when any entry matches", () => {
    const list = compileIpAllowlist(["203.0.113.0/24", "2001:db8::/32", "10.0.0.1"]);
    expect(isIpAllowed(list, "203.0.113.200")).toBe(true);
    expect(isIpAllowed(list, "2001:db8:1::1")).toBe(true);
    expect(isIpAllowed(list, "10.0.0.1")).toBe(true);
    expect(isIpAllowed(list, "10.0.0.2")).toBe(false);
    expect(isIpAllowed(list, "2001:db9::1")).toBe(false);
  });

  it("denies everyone on an empty list", () => {
    const list = compileIpAllowlist([]);
    expect(isIpAllowed(list, "127.0.0.1")).toBe(false);
    expect(isIpAllowed(list, "::1")).toBe(false);
  });

  it("denies text that is not an address, without throwing", () => {
    const list = compileIpAllowlist(["0.0.0.0/0", "::/0"]);
    for (const text of ["", "localhost", "10.0.0.0/8", "fe80::1%eth0", "01.2.3.4", "[::1]", "1.2.3.4:80"]) {
      expect(isIpAllowed(list, text)).toBe(false);
    }
  });

  it("takes a parsed address, and denies one whose bytes do not fit its version", () => {
    const list = compileIpAllowlist(["10.0.0.0/8"]);
    const address = parseIpAddress("10.1.2.3");
    if (address === null) throw new Error("test address does not parse");
    expect(isIpAllowed(list, address)).toBe(true);
    expect(isIpAllowed(list, { version: 4, bytes: new Uint8Array(16) })).toBe(false);
    expect(isIpAllowed(list, { version: 6, bytes: new Uint8Array([10, 1, 2, 3]) })).toBe(false);
  });
});

// -----------------------------------------------------------------------------------------------------------
// Property tests against ipaddr.js.

const ipv4Bytes = fc.uint8Array({ minLength: 4, maxLength: 4 });
const ipv6Bytes = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  // IPv4-mapped
  ipv4Bytes.map((b) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...b])),
  // mostly zeros, so that short prefixes and the mapped block's neighbours come up
  fc
    .tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 255 }))
    .map(([at, value]) => Uint8Array.from({ length: 16 }, (_, i) => (i === at ? value : i < at ? 0 : 0xff))),
);
const anyAddress: fc.Arbitrary<IpAddress> = fc.oneof(
  ipv4Bytes.map((bytes) => ({ version: 4 as const, bytes })),
  ipv6Bytes.map((bytes) => ({ version: 6 as const, bytes })),
);

/** A CIDR text with any prefix for the address: its host bits may or may not be set. */
const cidrText = anyAddress.chain((address) =>
  fc
    .integer({ min: 0, max: address.bytes.length * 8 })
    .map((prefix) => `${formatIpAddress(address)}/${prefix}`),
);

/** The network of a CIDR text, as ipaddr.js computes it. */
function referenceNetworkText(text: string): string {
  const [address] = ipaddr.parseCIDR(text);
  const network =
    address.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(text)
      : ipaddr.IPv6.networkAddressFromCIDR(text);
  return formatIpAddress({
    version: address.kind() === "ipv4" ? 4 : 6,
    bytes: Uint8Array.from(network.toByteArray()),
  });
}

/** A valid range (host bits cleared by ipaddr.js), as text. */
const rangeText = cidrText.map((text) => {
  const prefix = text.slice(text.indexOf("/") + 1);
  return `${referenceNetworkText(text)}/${prefix}`;
});

function addBytes(bytes: Uint8Array, delta: 1 | -1): Uint8Array {
  const out = bytes.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    const value = (out[i] ?? 0) + delta;
    out[i] = value & 0xff;
    if (value >= 0 && value <= 0xff) break;
  }
  return out;
}

/** Addresses near a range: its first and last, one either side, and a random one inside. */
function addressesNear(text: string, fill: Uint8Array): IpAddress[] {
  const [network, prefix] = ipaddr.parseCIDR(text);
  const version = network.kind() === "ipv4" ? 4 : 6;
  const first = Uint8Array.from(network.toByteArray());
  const last = first.slice();
  const inside = first.slice();
  for (let i = 0; i < first.length; i++) {
    const hostMask = 0xff >> Math.min(Math.max(prefix - i * 8, 0), 8);
    last[i] = (last[i] ?? 0) | hostMask;
    inside[i] = (inside[i] ?? 0) | ((fill[i] ?? 0) & hostMask);
  }
  return [first, last, inside, addBytes(first, -1), addBytes(last, 1)].map((bytes) => ({ version, bytes }));
}

/**
 * The reference matcher, built on ipaddr.js and written as the rule reads: an address matches a range when one of
 * its forms (itself, and its IPv4 or IPv4-mapped twin) falls in one of the range's forms (itself, and its IPv4 or
 * IPv4-mapped twin, the latter only when the whole range lies in `::ffff:0:0/96`).
 */
function referenceAllowed(ranges: readonly string[], address: IpAddress): boolean {
  const parsed = ipaddr.fromByteArray(Array.from(address.bytes));
  const forms: Array<ipaddr.IPv4 | ipaddr.IPv6> = [parsed];
  if (parsed.kind() === "ipv4") forms.push((parsed as ipaddr.IPv4).toIPv4MappedAddress());
  else if ((parsed as ipaddr.IPv6).isIPv4MappedAddress()) forms.push((parsed as ipaddr.IPv6).toIPv4Address());
  return ranges.some((text) => {
    const [network, prefix] = ipaddr.parseCIDR(text);
    const rangeForms: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [[network, prefix]];
    if (network.kind() === "ipv4") {
      rangeForms.push([(network as ipaddr.IPv4).toIPv4MappedAddress(), prefix + 96]);
    } else if (prefix >= 96 && (network as ipaddr.IPv6).isIPv4MappedAddress()) {
      rangeForms.push([(network as ipaddr.IPv6).toIPv4Address(), prefix - 96]);
    }
    return forms.some((form) =>
      rangeForms.some(
        ([rangeNetwork, bits]) => form.kind() === rangeNetwork.kind() && form.match(rangeNetwork, bits),
      ),
    );
  });
}

describe("parseIpRange() and isIpAllowed() agree with ipaddr.js", () => {
  it("accepts a CIDR exactly when it names its own network, and suggests ipaddr.js's network otherwise", () => {
    fc.assert(
      fc.property(cidrText, (text) => {
        const network = referenceNetworkText(text);
        const [address, prefix] = ipaddr.parseCIDR(text);
        const parsed = parseIpRange(text);
        const addressText = text.slice(0, text.indexOf("/"));
        if (network === addressText) {
          if (!parsed.ok) throw new Error(parsed.reason);
          expect(Array.from(parsed.range.address.bytes)).toEqual(address.toByteArray());
          expect(parsed.range.prefixLength).toBe(prefix);
          const full = address.kind() === "ipv4" ? 32 : 128;
          expect(formatIpRange(parsed.range)).toBe(prefix === full ? network : text);
        } else {
          expect(parsed).toEqual({
            ok: false,
            reason: `has host bits set; did you mean ${network}/${prefix}?`,
          });
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("allows exactly the addresses the reference matcher allows", () => {
    fc.assert(
      fc.property(
        fc.array(rangeText, { maxLength: 6 }),
        fc.array(anyAddress, { maxLength: 4 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (ranges, randomAddresses, fill) => {
          const list = compileIpAllowlist(ranges);
          const near = ranges.flatMap((range) => addressesNear(range, fill));
          for (const address of [...randomAddresses, ...near]) {
            const expected = referenceAllowed(ranges, address);
            expect(isIpAllowed(list, address)).toBe(expected);
            expect(isIpAllowed(list, formatIpAddress(address))).toBe(expected);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("allows or denies an IPv4 client and its IPv4-mapped twin alike", () => {
    fc.assert(
      fc.property(fc.array(rangeText, { maxLength: 6 }), ipv4Bytes, (ranges, bytes) => {
        const list = compileIpAllowlist(ranges);
        const mapped = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...bytes]);
        expect(isIpAllowed(list, { version: 4, bytes })).toBe(
          isIpAllowed(list, { version: 6, bytes: mapped }),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it("normalises to entries that compile to the same list", () => {
    fc.assert(
      fc.property(
        fc.array(rangeText, { maxLength: 8 }),
        fc.array(anyAddress, { maxLength: 8 }),
        (ranges, addresses) => {
          const normalized = normalizeIpAllowlist(ranges);
          expect(normalizeIpAllowlist(normalized)).toEqual(normalized);
          expect(new Set(normalized).size).toBe(normalized.length);
          const before = compileIpAllowlist(ranges);
          const after = compileIpAllowlist(normalized);
          for (const address of addresses)
            expect(isIpAllowed(after, address)).toBe(isIpAllowed(before, address));
        },
      ),
      { numRuns: 500 },
    );
  });
});
