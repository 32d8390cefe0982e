import { formatIpAddress, parseIpAddress, toIpv4IfMapped } from "./ip-address.js";

/** Prefix lengths of a source network, per IP version. */
export interface NetworkBits {
  ipv4: number;
  ipv6: number;
}

/** How wide a "network" is for the new-source detector: a /24 of IPv4, a /48 of IPv6 (one site). */
export const SOURCE_NETWORK_BITS: Readonly<NetworkBits> = { ipv4: 24, ipv6: 48 };

/**
 * The network a client address belongs to, as CIDR text (`203.0.113.0/24`, `2001:db8:1::/48`), so that clients
 * moving within one provider allocation count as one source. IPv4-mapped IPv6 addresses count as their IPv4
 * address. Null for anything that is not an IP address.
 */
export function sourceNetwork(ip: string, bits: Readonly<NetworkBits> = SOURCE_NETWORK_BITS): string | null {
  const parsed = parseIpAddress(ip);
  if (parsed === null) return null;
  const address = toIpv4IfMapped(parsed);
  const prefix = address.version === 4 ? bits.ipv4 : bits.ipv6;
  const masked = new Uint8Array(address.bytes.length);
  for (let i = 0; i < masked.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    masked[i] = (address.bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return `${formatIpAddress({ version: address.version, bytes: masked })}/${prefix}`;
}
