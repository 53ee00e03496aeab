import { readableAddress } from './address';

describe('readableAddress', () => {
  it('keeps IPv4 and plain IPv6 addresses as they are', () => {
    expect(readableAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(readableAddress('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe(
      '2001:0db8:0000:0000:0000:0000:0000:0001',
    );
  });

  it('turns an IPv4-mapped IPv6 address into dotted IPv4', () => {
    expect(readableAddress('0000:0000:0000:0000:0000:ffff:7f00:0001')).toBe('127.0.0.1');
    expect(readableAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(readableAddress('::FFFF:c0a8:0102')).toBe('192.168.1.2');
  });
});
