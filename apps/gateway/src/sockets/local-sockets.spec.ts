import { Connection } from './connection';
import { LocalSockets } from './local-sockets';

const limits = { framesPerSecond: 0, maxBufferedBytes: 1024 };
let next = 0;
const conn = () => new Connection(`gw1.test.${++next}`, '127.0.0.1', limits, 0);

describe('LocalSockets', () => {
  /** Opens and binds a connection of `accountId`, as the session does. */
  const online = (sockets: LocalSockets, accountId: number) => {
    const c = conn();
    sockets.add(c);
    c.accountId = accountId;
    sockets.bind(c, accountId);
    return c;
  };

  it('files connections by account, one or several per account', () => {
    const sockets = new LocalSockets();
    const a1 = online(sockets, 1);
    const b1 = online(sockets, 2);
    const b2 = online(sockets, 2);
    const anonymous = conn();
    sockets.add(anonymous);
    expect(sockets.ofAccount(1)).toEqual([a1]);
    expect(sockets.ofAccount(2)).toEqual([b1, b2]);
    expect(sockets.ofAccount(3)).toEqual([]);
    expect(sockets.size).toBe(4);
    expect(sockets.authenticatedCount).toBe(3);
    expect(new Set(sockets.authenticated())).toEqual(new Set([a1, b1, b2]));
    expect(new Set(sockets.all())).toEqual(new Set([a1, b1, b2, anonymous]));
  });

  it('binding the same connection twice files it once', () => {
    const sockets = new LocalSockets();
    const a = online(sockets, 1);
    sockets.bind(a, 1);
    expect(sockets.ofAccount(1)).toEqual([a]);
    const b = online(sockets, 1);
    sockets.bind(b, 1);
    expect(sockets.ofAccount(1)).toEqual([a, b]);
    expect(sockets.authenticatedCount).toBe(2);
  });

  it('forgets deleted connections, whatever order they close in', () => {
    const sockets = new LocalSockets();
    const [a, b, c] = [online(sockets, 1), online(sockets, 1), online(sockets, 1)];
    sockets.delete(b);
    expect(sockets.ofAccount(1)).toEqual([a, c]);
    sockets.delete(a);
    expect(sockets.ofAccount(1)).toEqual([c]);
    const d = online(sockets, 1);
    expect(sockets.ofAccount(1)).toEqual([c, d]);
    sockets.delete(d);
    sockets.delete(c);
    sockets.delete(c);
    expect(sockets.ofAccount(1)).toEqual([]);
    expect(sockets.size).toBe(0);
    expect(sockets.authenticatedCount).toBe(0);
    expect(sockets.authenticated()).toEqual([]);
  });

  it('returns copies, so a caller may close connections while going through them', () => {
    const sockets = new LocalSockets();
    online(sockets, 1);
    online(sockets, 1);
    for (const c of sockets.ofAccount(1)) sockets.delete(c);
    expect(sockets.ofAccount(1)).toEqual([]);
  });
});
