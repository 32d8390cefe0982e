import { describe, expect, it } from "vitest";
import { sourceNetwork } from "./source-network.js";

describe("sourceNetwork()", () => {
  it.each([
    ["203.0.113.7", "203.0.113.0/24"],
    ["203.0.113.255", "203.0.113.0/24"],
    ["::ffff:203.0.113.7", "203.0.113.0/24"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1::/48"],
    ["2001:DB8:1:ffff::1", "2001:db8:1::/48"],
    ["::1", "::/48"],
  ])("puts %s in %s", (ip, network) => {
    expect(sourceNetwork(ip)).toBe(network);
  });

  it("takes other widths, bit by bit", () => {
    expect(sourceNetwork("203.0.113.200", { ipv4: 25, ipv6: 64 })).toBe("203.0.113.128/25");
    expect(sourceNetwork("2001:db8:1:2:3::", { ipv4: 24, ipv6: 64 })).toBe("2001:db8:1:2::/64");
  });

  it.each(["", "not an ip", "203.0.113", "fe80::1%eth0"])("refuses %j", (ip) => {
    expect(sourceNetwork(ip)).toBeNull();
  });
});
