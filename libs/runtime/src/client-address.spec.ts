import { compileTrustProxy } from '@chat/config';
import { clientAddress, plainAddress, rateKeyOfAddress } from './client-address';

describe('client addresses', () => {
  it('counts IPv6 clients by their /64, IPv4 by their address', () => {
    expect(rateKeyOfAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateKeyOfAddress('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(rateKeyOfAddress('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(rateKeyOfAddress('203.0.113.9')).toBe('203.0.113.9');
    expect(rateKeyOfAddress('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(rateKeyOfAddress('unknown')).toBe('unknown');
  });

  it('believes X-Forwarded-For only from trusted hops', () => {
    const loopback = compileTrustProxy('loopback');
    expect(clientAddress('127.0.0.1', '198.51.100.7', loopback)).toBe('198.51.100.7');
    expect(clientAddress('::1', '198.51.100.7', loopback)).toBe('198.51.100.7');
    // An untrusted peer's header is ignored: it could say anything.
    expect(clientAddress('203.0.113.5', '198.51.100.7', loopback)).toBe('203.0.113.5');
    // A balancer on 10.0.0.0/8 in front of a local proxy: the client is the first untrusted hop.
    const lb = compileTrustProxy('loopback, 10.0.0.0/8');
    expect(clientAddress('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.1.2.3', lb)).toBe('198.51.100.7');
    expect(clientAddress('10.1.2.3', '198.51.100.7', loopback)).toBe('10.1.2.3');
    const none = compileTrustProxy('none');
    expect(clientAddress('127.0.0.1', '198.51.100.7', none)).toBe('127.0.0.1');
    expect(clientAddress('::ffff:127.0.0.1', '', loopback)).toBe('127.0.0.1');
  });

  it('refuses a setting that is not a list of addresses, ranges or known names', () => {
    expect(() => compileTrustProxy('loopback, 10.0.0.0/33')).toThrow();
    expect(() => compileTrustProxy('everyone')).toThrow();
    expect(plainAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
  });
});
