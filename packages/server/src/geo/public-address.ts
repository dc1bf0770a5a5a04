import { BlockList, isIP } from "node:net";

/**
 * Addresses no GeoIP database can place: private (RFC 1918, RFC 4193),
 * shared (RFC 6598), loopback, link-local, unspecified, multicast and
 * reserved. Looking them up is pointless at best; at worst a database with
 * an odd entry would give an office LAN a city. The documentation ranges
 * (RFC 5737, RFC 3849) are left out of this list on purpose: tests use them.
 */
const notPublic = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  notPublic.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  notPublic.addSubnet(network, prefix, "ipv6");
}

const V4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The address to look up, or null when `ip` is not an IP address or not a
 * public one. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, as a
 * dual-stack socket reports IPv4 peers) is looked up as the IPv4 address.
 *
 * @example
 * publicAddress("::ffff:192.0.2.1") // "192.0.2.1"
 * publicAddress("10.0.0.1")         // null
 */
export function publicAddress(ip: string | null | undefined): string | null {
  // A zone index (`fe80::1%eth0`) only ever scopes a link-local address.
  if (!ip || ip.includes("%")) return null;
  const address = V4_MAPPED.exec(ip)?.[1] ?? ip;
  const family = isIP(address);
  if (family === 0) return null;
  return notPublic.check(address, family === 4 ? "ipv4" : "ipv6") ? null : address;
}
