import { ExpiringMap } from './expiring-map';

describe('ExpiringMap', () => {
  it('hides an entry from the moment it expires', () => {
    let now = 0;
    const map = new ExpiringMap<string>(() => now);
    map.set('a', 'x', 100);
    now = 99;
    expect(map.get('a')).toBe('x');
    expect(map.remainingMs('a')).toBe(1);
    now = 100;
    expect(map.get('a')).toBeUndefined();
    expect(map.delete('a')).toBe(false);
  });

  it('drops expired entries that are never read again once a later write sweeps', () => {
    let now = 0;
    const map = new ExpiringMap<number>(() => now, 1000);
    for (let i = 0; i < 500; i++) map.set(`ip-${i}`, i, 50);
    expect(map.size).toBe(500);
    now = 1000;
    map.set('fresh', 1, 50);
    expect(map.size).toBe(1);
  });

  it('removes a key when set with a ttl of 0', () => {
    const map = new ExpiringMap<number>(() => 0);
    map.set('a', 1, 10);
    map.set('a', 2, 0);
    expect(map.get('a')).toBeUndefined();
    expect(map.size).toBe(0);
  });
});
