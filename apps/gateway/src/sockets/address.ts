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
