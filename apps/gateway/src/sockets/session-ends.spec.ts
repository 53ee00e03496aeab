import { createLogger } from '@chat/logger';
import type { Connection } from './connection';
import { SessionEnds } from './session-ends';

/** The part of a connection `SessionEnds` uses, recording what it was sent. */
function socket(accountId: number, tokenEpoch: number, expiresAt = Number.MAX_SAFE_INTEGER) {
  const seen = { frames: [] as string[], closed: undefined as number | undefined };
  const conn = {
    connId: `c${accountId}.${tokenEpoch}`,
    accountId,
    tokenEpoch,
    expiresAt,
    expirySlot: -1,
    send: (text: string) => seen.frames.push(text) > 0,
    close: (code: number) => void (seen.closed = code),
  };
  return { conn: conn as unknown as Connection, seen };
}

describe('SessionEnds', () => {
  const log = createLogger({ name: 'session-ends-test', level: 'silent' });
  let now = 1_000_000;
  beforeEach(() => {
    now = 1_000_000;
    jest.useFakeTimers({ now });
  });
  afterEach(() => jest.useRealTimers());

  function ends(held: Connection[]) {
    const byAccount = (id: number) => held.filter((c) => c.accountId === id);
    return new SessionEnds({ ofAccount: byAccount }, { rememberMs: 60_000, now: () => now }, log);
  }

  it('closes the account’s sockets of earlier epochs with 2013 then 4401, and no others', () => {
    const old = socket(1, 0);
    const current = socket(1, 2);
    const stranger = socket(2, 0);
    const e = ends([old.conn, current.conn, stranger.conn]);
    expect(e.revoke(1, 2)).toBe(1);
    expect(old.seen.closed).toBe(4401);
    expect(JSON.parse(old.seen.frames[0])).toEqual({
      event: 'error',
      data: { status_code: 2013, status_msg: 'token revoked' },
    });
    expect(current.seen.closed).toBeUndefined();
    expect(stranger.seen.closed).toBeUndefined();
  });

  it('writes the ending change’s push just before the error, to the closed sockets only', () => {
    const old = socket(1, 0);
    const current = socket(1, 2);
    const e = ends([old.conn, current.conn]);
    const lastFrame = JSON.stringify({ event: 'update_email', data: { email: 'new@example.com' } });
    expect(e.revoke(1, 2, lastFrame)).toBe(1);
    expect(old.seen.frames.map((text) => JSON.parse(text))).toEqual([
      { event: 'update_email', data: { email: 'new@example.com' } },
      { event: 'error', data: { status_code: 2013, status_msg: 'token revoked' } },
    ]);
    expect(old.seen.closed).toBe(4401);
    expect(current.seen.frames).toEqual([]);
    expect(current.seen.closed).toBeUndefined();
  });

  it('remembers a revocation for rememberMs, keeping the latest epoch', () => {
    const e = ends([]);
    e.revoke(1, 3);
    e.revoke(1, 2); // a late record of an earlier change
    expect(e.hasEnded(1, 2)).toBe(true);
    expect(e.hasEnded(1, 3)).toBe(false);
    expect(e.hasEnded(2, 0)).toBe(false);
    now += 60_000;
    expect(e.hasEnded(1, 2)).toBe(false);
    e.revoke(3, 1); // sweeps the revocations older than the window
    now -= 1; // back inside the window: the swept revocation is gone for good
    expect(e.hasEnded(1, 2)).toBe(false);
  });

  it('closes a tracked socket at its expiry with 2013 then 4401, unless it was forgotten', () => {
    const expiring = socket(1, 0, now + 1000);
    const gone = socket(2, 0, now + 1000);
    const e = ends([]);
    e.track(expiring.conn);
    e.track(gone.conn);
    e.forget(gone.conn);
    expect(e.tracked).toBe(1);
    now += 1000;
    jest.advanceTimersByTime(1000);
    expect(expiring.seen.closed).toBe(4401);
    expect(JSON.parse(expiring.seen.frames[0]).data).toEqual({
      status_code: 2013,
      status_msg: 'token expired',
    });
    expect(gone.seen.closed).toBeUndefined();
    expect(e.tracked).toBe(0);
  });
});
