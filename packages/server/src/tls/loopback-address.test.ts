import { describe, expect, it } from "vitest";
import { isLoopbackAddress } from "./loopback-address.js";

const CASES: readonly (readonly [host: string, loopback: boolean])[] = [
  ["127.0.0.1", true],
  ["127.255.10.2", true],
  ["localhost", true],
  ["LOCALHOST", true],
  ["::1", true],
  ["0:0:0:0:0:0:0:1", true],
  ["::ffff:127.0.0.1", true],
  ["0.0.0.0", false],
  ["::", false],
  ["128.0.0.1", false],
  ["10.0.0.1", false],
  ["192.168.1.20", false],
  ["2001:db8::1", false],
  ["::2", false],
  ["::ffff:10.0.0.1", false],
  ["example.com", false],
  ["localhost.example.com", false],
  ["", false],
];

describe("isLoopbackAddress()", () => {
  it.each(CASES)("says %s is loopback: %s", (host, loopback) => {
    expect(isLoopbackAddress(host)).toBe(loopback);
  });
});
