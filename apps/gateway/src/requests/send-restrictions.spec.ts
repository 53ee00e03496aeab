import { AppError, ErrorCode } from '@chat/protocol';
import type { SendRestrictions } from '@chat/db';
import { memberAndFree, SendRestrictionCache } from './send-restrictions';

/** What a check throws: its code and data, or 0 when it passes. */
async function outcome(check: Promise<void>): Promise<{ code: number; data?: unknown }> {
  try {
    await check;
    return { code: 0 };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return err.data === undefined ? { code: err.code } : { code: err.code, data: err.data };
  }
}

describe('SendRestrictionCache', () => {
  let now = 1_000_000;
  let stored: SendRestrictions = { blocks: [], mutes: [] };
  let loads = 0;
  const cache = () =>
    new SendRestrictionCache(
      async () => {
        loads++;
        return stored;
      },
      { ttlMs: 30_000, now: () => now },
    );

  beforeEach(() => {
    now = 1_000_000;
    stored = { blocks: [], mutes: [] };
    loads = 0;
  });

  it('answers 4004 to the blocker and 4003 to the blocked side, others pass', async () => {
    stored = { blocks: [{ blockerId: 1, blockedId: 2 }], mutes: [] };
    const c = cache();
    expect(await outcome(c.check(10, 1, Promise.resolve(0)))).toEqual({
      code: ErrorCode.AccountBlocked,
    });
    expect(await outcome(c.check(10, 2, Promise.resolve(0)))).toEqual({
      code: ErrorCode.BlockedByAccount,
    });
    expect(await outcome(c.check(10, 3, Promise.resolve(0)))).toEqual({ code: 0 });
  });

  it('answers 7004 with muted_until until the mute ends, by the clock alone', async () => {
    stored = { blocks: [], mutes: [{ accountId: 5, until: new Date(now + 2000) }] };
    const c = cache();
    expect(await outcome(c.check(20, 5, Promise.resolve(3)))).toEqual({
      code: ErrorCode.MemberMuted,
      data: { muted_until: new Date(now + 2000).toISOString() },
    });
    now += 2001;
    expect(await outcome(c.check(20, 5, Promise.resolve(3)))).toEqual({ code: 0 });
    expect(loads).toBe(1);
  });

  it('reads the database again only when the version moved or the entry expired', async () => {
    const c = cache();
    for (let i = 0; i < 5; i++) await c.check(30, 1, Promise.resolve(7));
    expect(loads).toBe(1);
    stored = { blocks: [{ blockerId: 2, blockedId: 1 }], mutes: [] };
    expect(await outcome(c.check(30, 1, Promise.resolve(7)))).toEqual({ code: 0 });
    expect(await outcome(c.check(30, 1, Promise.resolve(8)))).toEqual({
      code: ErrorCode.BlockedByAccount,
    });
    expect(loads).toBe(2);
    now += 30_001;
    await outcome(c.check(30, 1, Promise.resolve(8)));
    expect(loads).toBe(3);
  });

  it('lets membership speak first', async () => {
    const refused = Promise.reject(new AppError(ErrorCode.MemberMuted));
    expect(await memberAndFree(Promise.resolve(false), refused)).toBe(false);
    await expect(
      memberAndFree(Promise.resolve(true), Promise.reject(new AppError(ErrorCode.MemberMuted))),
    ).rejects.toMatchObject({ code: ErrorCode.MemberMuted });
    expect(await memberAndFree(Promise.resolve(true), Promise.resolve())).toBe(true);
  });
});
