import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from '@chat/config';

/**
 * The client's address: walking `X-Forwarded-For` back from the socket peer while each hop
 * is trusted, the first untrusted one (or the farthest entry), as express does for `req.ip`.
 * IPv4-mapped IPv6 addresses come back in dotted form.
 */
export function clientAddress(peer: string, forwardedFor: string, trust: TrustProxy): string {
  const req = {
    connection: { remoteAddress: peer },
    socket: { remoteAddress: peer },
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  };
  return plainAddress(proxyaddr(req as never, trust));
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; anything else as it is (unparsable text included). */
export function plainAddress(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  return ipaddr.process(address).toString();
}

/**
 * The key a per-address limit counts under: an IPv4 address itself, an IPv6 address's /64
 * (one subscriber usually holds a whole /64, so counting single addresses would let it
 * rotate through 2^64 of them). Unparsable text is its own key.
 */
export function rateKeyOfAddress(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const ip = ipaddr.process(address);
  if (ip.kind() === 'ipv4') return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}
