import { BlockList, isIP } from "node:net";

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/**
 * True when a listener bound to `host` is reachable only from this machine: an address in 127.0.0.0/8, `::1`
 * (in any spelling, or IPv4-mapped) or `localhost`. Wildcards (`0.0.0.0`, `::`), other addresses and other
 * names are not: a name may resolve to anything, so only `localhost` is trusted without a lookup.
 */
export function isLoopbackAddress(host: string): boolean {
  const name = host.toLowerCase();
  if (name === "localhost") return true;
  const family = isIP(name);
  if (family === 0) return false;
  return LOOPBACK.check(name, family === 6 ? "ipv6" : "ipv4");
}
