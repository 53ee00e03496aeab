/**
 * The remote address as clients expect to read it (`account_login {address}`): IPv4 in
 * dotted form, also when the socket is IPv6 with an IPv4-mapped address.
 */
export function readableAddress(text: string): string {
  const mapped = /^(?:(?:0{1,4}:){5}|::)ffff:(.+)$/i.exec(text);
  if (!mapped) return text;
  const rest = mapped[1];
  if (/^\d+\.\d+\.\d+\.\d+$/.test(rest)) return rest;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(rest);
  if (!hex) return text;
  const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/**
 * The client's address: the peer's, unless the peer is this machine and says whom it
 * forwards for (`X-Forwarded-For`, first entry), as the standalone server's front door does.
 * Only a loopback peer is believed, like the api's `trust proxy: loopback`.
 */
export function clientAddress(peer: string, forwardedFor: string): string {
  // 127.0.0.0/8, or ::1 short or written out in full as uWS does.
  const isLoopback = /^127\./.test(peer) || /^(?:0{0,4}:){2,7}0{0,3}1$/.test(peer);
  const first = forwardedFor.split(',')[0]?.trim() ?? '';
  return isLoopback && first ? readableAddress(first) : peer;
}
