import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import {
  formatIpAddress,
  type IpAddress,
  isIpv4Mapped,
  MAX_IP_ADDRESS_LENGTH,
  parseIpAddress,
  toIpv4IfMapped,
} from "./ip-address.js";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function parsed(text: string): IpAddress {
  const address = parseIpAddress(text);
  if (address === null) throw new Error(`test address ${text} does not parse`);
  return address;
}

function v6(groups: readonly number[]): IpAddress {
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return { version: 6, bytes };
}

/** Text a well-behaved reference parser (ipaddr.js) and ours must read alike. */
function referenceText(text: string): string {
  // ipaddr.js reads "::a.b.c.d" as the IPv4-mapped "::ffff:a.b.c.d"; RFC 4291 says it is the IPv4-compatible
  // "::a.b.c.d" (zeros then the IPv4 bytes), which "::0:a.b.c.d" spells without the ambiguity.
  const rest = text.slice(2);
  return text.startsWith("::") && !rest.includes(":") && rest.includes(".") ? `::0:${rest}` : text;
}

describe("parseIpAddress() with IPv4", () => {
  it.each([
    ["0.0.0.0", "00000000"],
    ["255.255.255.255", "ffffffff"],
    ["192.0.2.1", "c0000201"],
    ["10.0.0.1", "0a000001"],
    ["100.64.0.100", "64400064"],
    ["1.20.199.250", "0114c7fa"],
  ])("reads %s", (text, bytes) => {
    const address = parsed(text);
    expect(address.version).toBe(4);
    expect(hex(address.bytes)).toBe(bytes);
    expect(formatIpAddress(address)).toBe(text);
  });

  it.each([
    ["", "empty"],
    ["1.2.3", "three parts"],
    ["1.2.3.4.5", "five parts"],
    ["127.1", "two parts (inet_aton shorthand)"],
    ["2130706433", "one 32-bit number"],
    ["256.0.0.1", "an octet over 255"],
    ["1.2.3.1000", "a four-digit octet"],
    ["01.2.3.4", "a leading zero (octal to inet_aton)"],
    ["1.2.3.04", "a leading zero in the last octet"],
    ["00.0.0.0", "a doubled zero"],
    ["0x7f.0.0.1", "hexadecimal"],
    ["1..2.3", "an empty part"],
    [".1.2.3", "a leading dot"],
    ["1.2.3.", "a trailing dot"],
    ["1.2.3.4 ", "a trailing space"],
    [" 1.2.3.4", "a leading space"],
    ["1.2.3.-4", "a sign"],
    ["+1.2.3.4", "a plus sign"],
    ["1e2.0.0.1", "an exponent"],
    ["１.2.3.4", "a full-width digit"],
    ["1.2.3.4/32", "a prefix"],
    ["1.2.3.4:80", "a port"],
  ])("refuses %j (%s)", (text) => {
    expect(parseIpAddress(text)).toBeNull();
  });
});

describe("parseIpAddress() with IPv6", () => {
  it.each([
    ["::", "00000000000000000000000000000000", "::"],
    ["::1", "00000000000000000000000000000001", "::1"],
    ["1::", "00010000000000000000000000000000", "1::"],
    ["2001:db8::1", "20010db8000000000000000000000001", "2001:db8::1"],
    ["2001:DB8:0:0:0:0:0:1", "20010db8000000000000000000000001", "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "20010db8000000000000000000000001", "2001:db8::1"],
    ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008", "1:2:3:4:5:6:7:8"],
    ["1:2:3:4:5:6:7::", "00010002000300040005000600070000", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "00000002000300040005000600070008", "0:2:3:4:5:6:7:8"],
    ["1::8", "00010000000000000000000000000008", "1::8"],
    ["FE80::Ab:cD", "fe800000000000000000000000ab00cd", "fe80::ab:cd"],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "f".repeat(32), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    ["::ffff:1.2.3.4", "00000000000000000000ffff01020304", "::ffff:1.2.3.4"],
    ["::FFFF:102:304", "00000000000000000000ffff01020304", "::ffff:1.2.3.4"],
    ["0:0:0:0:0:ffff:1.2.3.4", "00000000000000000000ffff01020304", "::ffff:1.2.3.4"],
    ["::ffff:0.0.0.0", "00000000000000000000ffff00000000", "::ffff:0.0.0.0"],
    ["::1.2.3.4", "00000000000000000000000001020304", "::102:304"],
    ["64:ff9b::192.0.2.33", "0064ff9b0000000000000000c0000221", "64:ff9b::c000:221"],
    ["1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304", "1:2:3:4:5:6:102:304"],
    ["1::5:6:255.255.255.255", "000100000000000000050006ffffffff", "1::5:6:ffff:ffff"],
    ["::1:2:3:4:5:6:7", "00000001000200030004000500060007", "0:1:2:3:4:5:6:7"],
    ["0000:0000:0000:0000:0000:0000:0000:0000", "0".repeat(32), "::"],
  ])("reads %s", (text, bytes, canonical) => {
    const address = parsed(text);
    expect(address.version).toBe(6);
    expect(hex(address.bytes)).toBe(bytes);
    expect(formatIpAddress(address)).toBe(canonical);
  });

  it.each([
    [":", "a lone colon"],
    [":::", "three colons"],
    ["1:::2", "three colons inside"],
    ["1::2::3", "two '::'"],
    ["::1::", "two '::' at the edges"],
    [":1::", "a leading single colon"],
    ["::1:", "a trailing single colon"],
    [":1:2:3:4:5:6:7:8", "a leading colon before eight groups"],
    ["1:2:3:4:5:6:7:8:", "a trailing colon after eight groups"],
    ["1:2:3:4:5:6:7", "seven groups without '::'"],
    ["1:2:3:4:5:6:7:8:9", "nine groups"],
    ["1:2:3:4:5:6:7:8::", "eight groups and '::'"],
    ["::1:2:3:4:5:6:7:8", "'::' and eight groups"],
    ["1:2:3:4::5:6:7:8", "'::' standing for no group"],
    ["12345::", "five hex digits"],
    ["00000::1", "five digits of zeros"],
    ["g::1", "a non-hex letter"],
    ["0x1::", "a hex prefix"],
    ["1:2:3:4:5:6:7:1.2.3.4", "seven groups and a dotted tail"],
    ["1:2:3:4:5:6:1.2.3.4:8", "a dotted quad before the end"],
    ["::1.2.3.4:5", "a group after the dotted tail"],
    ["1.2.3.4::", "a dotted quad before '::'"],
    ["1.2.3.4::1", "a dotted quad in the head"],
    ["::256.0.0.1", "an embedded octet over 255"],
    ["::ffff:01.2.3.4", "an embedded leading zero"],
    ["::ffff:1.2.3", "an embedded quad of three parts"],
    ["::ffff:1.2.3.4.5", "an embedded quad of five parts"],
    ["::ffff:1.2.3.", "an embedded trailing dot"],
    ["fe80::1%eth0", "a zone id"],
    ["fe80::1%1", "a numeric zone id"],
    ["::ffff:1.2.3.4%eth0", "a zone id after a dotted tail"],
    ["[::1]", "brackets"],
    ["[::1]:443", "brackets and a port"],
    ["::1 ", "a trailing space"],
    ["::1/128", "a prefix"],
    ["2001:db8::-1", "a sign"],
  ])("refuses %j (%s)", (text) => {
    expect(parseIpAddress(text)).toBeNull();
  });
});

describe("parseIpAddress() limits", () => {
  it("accepts the longest spellings of an address", () => {
    const longest = "0000:0000:0000:0000:0000:ffff:255.255.255.255";
    expect(longest.length).toBe(45);
    expect(formatIpAddress(parsed(longest))).toBe("::ffff:255.255.255.255");
  });

  it(`refuses text over ${MAX_IP_ADDRESS_LENGTH} characters before reading it`, () => {
    expect(parseIpAddress("1".repeat(MAX_IP_ADDRESS_LENGTH + 1))).toBeNull();
    expect(parseIpAddress(`${"0:".repeat(40)}:1`)).toBeNull();
  });

  it("refuses values that are not strings", () => {
    for (const value of [undefined, null, 1, {}, ["::1"]]) {
      expect(parseIpAddress(value as unknown as string)).toBeNull();
    }
  });
});

describe("formatIpAddress() follows RFC 5952", () => {
  it.each([
    // Section 4.1: no leading zeros. Section 4.3: lowercase.
    ["2001:0db8::0001", "2001:db8::1"],
    ["2001:DB8::AAAA", "2001:db8::aaaa"],
    // Section 4.2.1: "::" shortens as much as possible.
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["2001:db8::0:1", "2001:db8::1"],
    // Section 4.2.2: one zero group is not shortened.
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    // Section 4.2.3: the longest run is shortened; the first one on a tie.
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"],
    ["0:0:1:0:0:1:0:0", "::1:0:0:1:0:0"],
    ["1:0:0:1:0:0:1:1", "1::1:0:0:1:1"],
    ["0:1:0:1:0:1:0:1", "0:1:0:1:0:1:0:1"],
    // Section 2.1's spellings of one address all come out the same.
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8::1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8::0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0db8::1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:0:1::1", "2001:db8::1:0:0:1"],
    ["2001:db8:0000:0:1::1", "2001:db8::1:0:0:1"],
    ["2001:DB8:0:0:1::1", "2001:db8::1:0:0:1"],
    // Section 5: an IPv4-mapped address keeps its dotted tail; other embeddings do not.
    ["::ffff:c000:0201", "::ffff:192.0.2.1"],
    ["::ffff:0:c000:201", "::ffff:0:c000:201"],
    ["::fffe:c000:201", "::fffe:c000:201"],
    ["0:0:0:0:1:ffff:c000:201", "::1:ffff:c000:201"],
  ])("%s is written %s", (text, canonical) => {
    expect(formatIpAddress(parsed(text))).toBe(canonical);
  });

  it("writes groups built from bytes", () => {
    expect(formatIpAddress(v6([0, 0, 0, 0, 0, 0, 0, 0]))).toBe("::");
    expect(formatIpAddress(v6([0xabcd, 0, 0, 0, 0, 0, 0, 0]))).toBe("abcd::");
    expect(formatIpAddress(v6([0, 0, 0, 0, 0, 0xffff, 0, 0]))).toBe("::ffff:0.0.0.0");
    expect(formatIpAddress({ version: 4, bytes: new Uint8Array([203, 0, 113, 9]) })).toBe("203.0.113.9");
  });
});

describe("toIpv4IfMapped()", () => {
  it.each([
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:C000:201", "192.0.2.1"],
    ["0:0:0:0:0:ffff:0:0", "0.0.0.0"],
    ["::ffff:255.255.255.255", "255.255.255.255"],
  ])("turns the mapped %s into %s", (text, ipv4) => {
    const address = parsed(text);
    expect(isIpv4Mapped(address)).toBe(true);
    const unmapped = toIpv4IfMapped(address);
    expect(unmapped.version).toBe(4);
    expect(formatIpAddress(unmapped)).toBe(ipv4);
  });

  it.each([
    "::1.2.3.4",
    "::fffe:1.2.3.4",
    "::1:ffff:1.2.3.4",
    "1::ffff:1.2.3.4",
    "64:ff9b::1.2.3.4",
    "::ffff:0:1.2.3.4",
    "192.0.2.1",
  ])("returns %s unchanged", (text) => {
    const address = parsed(text);
    expect(isIpv4Mapped(address)).toBe(false);
    expect(toIpv4IfMapped(address)).toBe(address);
  });

  it("does not share bytes with the mapped address", () => {
    const mapped = parsed("::ffff:10.0.0.1");
    const ipv4 = toIpv4IfMapped(mapped);
    ipv4.bytes[0] = 99;
    expect(formatIpAddress(mapped)).toBe("::ffff:10.0.0.1");
  });
});

// -----------------------------------------------------------------------------------------------------------
// Property tests against ipaddr.js, a widely used parser, on addresses spelled every way RFC 4291 allows.

const group = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constant(0xffff) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);
const ipv4Bytes = fc.uint8Array({ minLength: 4, maxLength: 4 });
const ipv6Groups = fc.oneof(
  fc.array(group, { minLength: 8, maxLength: 8 }),
  // IPv4-mapped
  ipv4Bytes.map((b) => [
    0,
    0,
    0,
    0,
    0,
    0xffff,
    ((b[0] ?? 0) << 8) | (b[1] ?? 0),
    ((b[2] ?? 0) << 8) | (b[3] ?? 0),
  ]),
);

/** How to spell an IPv6 address: which zero run to shorten, case and padding per group, a dotted tail. */
const ipv6Spelling = fc.record({
  groups: ipv6Groups,
  compress: fc.boolean(),
  runChoice: fc.nat(),
  dottedTail: fc.boolean(),
  upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  padding: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
});

function spellIpv6(spelling: typeof ipv6Spelling extends fc.Arbitrary<infer T> ? T : never): string {
  const { groups } = spelling;
  const runs: Array<[number, number]> = [];
  for (let start = 0; start < 8; start++) {
    for (let end = start + 1; end <= 8 && groups[end - 1] === 0; end++) runs.push([start, end]);
  }
  const run = spelling.compress && runs.length > 0 ? runs[spelling.runChoice % runs.length] : undefined;
  const dotted = spelling.dottedTail && (run === undefined || run[1] <= 6);
  const text = (index: number): string => {
    const digits = (groups[index] ?? 0).toString(16);
    const padded = digits.padStart(Math.min(4, digits.length + (spelling.padding[index] ?? 0)), "0");
    return spelling.upper[index] ? padded.toUpperCase() : padded;
  };
  const parts: string[] = [];
  const last = dotted ? 6 : 8;
  for (let i = 0; i < last; i++) {
    if (run !== undefined && i >= run[0] && i < run[1]) continue;
    parts.push(text(i));
  }
  if (dotted) {
    const high = groups[6] ?? 0;
    const low = groups[7] ?? 0;
    parts.push(`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`);
  }
  if (run === undefined) return parts.join(":");
  const head = parts.slice(0, run[0]).join(":");
  const tail = parts.slice(run[0]).join(":");
  return `${head}::${tail}`;
}

const ipv6Text = ipv6Spelling.map(spellIpv6);
const ipv4Text = ipv4Bytes.map((b) => Array.from(b).join("."));

/** Small edits to a valid address, to reach the malformed spellings next to the valid ones. */
function mutated(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.record({
    kind: fc.constantFrom("delete", "insert", "replace", "duplicate"),
    at: fc.nat(),
    char: fc.constantFrom(..."::..0019afAFg%/ "),
  });
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([text, edits]) => {
    let out = text;
    for (const { kind, at, char } of edits) {
      const i = out.length === 0 ? 0 : at % out.length;
      if (kind === "delete") out = out.slice(0, i) + out.slice(i + 1);
      else if (kind === "insert") out = out.slice(0, i) + char + out.slice(i);
      else if (kind === "replace") out = out.slice(0, i) + char + out.slice(i + 1);
      else out = out.slice(0, i) + out.slice(i, i + 2) + out.slice(i);
    }
    return out;
  });
}

/** RFC 5952 text as ipaddr.js writes it, with section 5's dotted tail for IPv4-mapped addresses. */
function referenceFormat(reference: ipaddr.IPv6): string {
  return reference.isIPv4MappedAddress()
    ? `::ffff:${reference.toIPv4Address().toString()}`
    : reference.toRFC5952String();
}

/** True when the dotted tail of an IPv6 text has an octet with a leading zero, which ipaddr.js accepts. */
function hasPaddedEmbeddedOctet(text: string): boolean {
  const tail = text.slice(text.lastIndexOf(":") + 1);
  return tail.includes(".") && tail.split(".").some((octet) => octet.length > 1 && octet.startsWith("0"));
}

describe("parseIpAddress() and formatIpAddress() agree with ipaddr.js", () => {
  it("on IPv4 dotted quads: the same bytes and the same text", () => {
    fc.assert(
      fc.property(ipv4Text, (text) => {
        const ours = parsed(text);
        const reference = ipaddr.parse(text);
        expect(reference.kind()).toBe("ipv4");
        expect(Array.from(ours.bytes)).toEqual(reference.toByteArray());
        expect(formatIpAddress(ours)).toBe(reference.toString());
      }),
      { numRuns: 500 },
    );
  });

  it("on IPv6 in every spelling: the same bytes, and RFC 5952 text (dotted for IPv4-mapped)", () => {
    fc.assert(
      fc.property(ipv6Text, (text) => {
        const ours = parsed(text);
        const reference = ipaddr.IPv6.parse(referenceText(text));
        expect(Array.from(ours.bytes)).toEqual(reference.toByteArray());
        expect(formatIpAddress(ours)).toBe(referenceFormat(reference));
        expect(isIpv4Mapped(ours)).toBe(reference.isIPv4MappedAddress());
        // The canonical text reads back as the same address.
        expect(Array.from(parsed(formatIpAddress(ours)).bytes)).toEqual(reference.toByteArray());
      }),
      { numRuns: 2000 },
    );
  });

  it("on near-miss IPv4 text: valid exactly when ipaddr.js finds a strict four-part decimal", () => {
    fc.assert(
      fc.property(mutated(ipv4Text), (text) => {
        fc.pre(!text.includes(":"));
        const ours = parseIpAddress(text);
        expect(ours !== null).toBe(ipaddr.IPv4.isValidFourPartDecimal(text));
        if (ours !== null) expect(Array.from(ours.bytes)).toEqual(ipaddr.IPv4.parse(text).toByteArray());
      }),
      { numRuns: 2000 },
    );
  });

  it("on near-miss IPv6 text: valid exactly when ipaddr.js agrees, minus zone ids and padded octets", () => {
    fc.assert(
      fc.property(mutated(ipv6Text), (text) => {
        fc.pre(text.includes(":"));
        const reference = referenceText(text);
        const expectedValid =
          ipaddr.IPv6.isValid(reference) && !text.includes("%") && !hasPaddedEmbeddedOctet(text);
        const ours = parseIpAddress(text);
        expect(ours !== null).toBe(expectedValid);
        if (ours !== null) expect(Array.from(ours.bytes)).toEqual(ipaddr.IPv6.parse(reference).toByteArray());
      }),
      { numRuns: 3000 },
    );
  });

  it("formats random bytes as ipaddr.js does, and reads its own output back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), ipv4Bytes, (bytes16, bytes4) => {
        const address: IpAddress = { version: 6, bytes: bytes16 };
        const reference = ipaddr.IPv6.parse(ipaddr.fromByteArray(Array.from(bytes16)).toString());
        expect(formatIpAddress(address)).toBe(referenceFormat(reference));
        expect(hex(parsed(formatIpAddress(address)).bytes)).toBe(hex(bytes16));
        const ipv4: IpAddress = { version: 4, bytes: bytes4 };
        expect(formatIpAddress(ipv4)).toBe(ipaddr.fromByteArray(Array.from(bytes4)).toString());
        expect(hex(parsed(formatIpAddress(ipv4)).bytes)).toBe(hex(bytes4));
      }),
      { numRuns: 1000 },
    );
  });
});
