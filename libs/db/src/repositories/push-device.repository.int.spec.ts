import { openSuiteDatabase, TestData, type SuiteDatabase } from '../testing';
import { PgPushDeviceRepository } from './push-device.repository';

/** Push devices against a real, migrated database (docs/push-notifications.md). */
describe('push device repository', () => {
  let suite: SuiteDatabase;
  let devices: PgPushDeviceRepository;
  let data: TestData;

  beforeAll(async () => {
    suite = await openSuiteDatabase('db_push_devices');
    devices = new PgPushDeviceRepository(suite.db.em);
    data = new TestData(suite.db.em.fork());
  });

  afterAll(async () => {
    await suite?.cleanup();
  });

  it('registers, refreshes, lists and unregisters per account', async () => {
    const a = await data.account();
    const first = await devices.register(a.id, { platform: 'fcm', token: 'fcm-token-1' });
    expect(first).toMatchObject({
      accountId: a.id,
      platform: 'fcm',
      token: 'fcm-token-1',
      keys: null,
    });
    const web = await devices.register(a.id, {
      platform: 'webpush',
      token: 'https://push.example/sub/1',
      keys: { p256dh: 'BKEY', auth: 'AUTH' },
    });
    // The same token again is the same row.
    const again = await devices.register(a.id, { platform: 'fcm', token: 'fcm-token-1' });
    expect(again.id).toBe(first.id);
    expect((await devices.listOf(a.id)).map((d) => [d.platform, d.token, d.keys])).toEqual([
      ['fcm', 'fcm-token-1', null],
      ['webpush', 'https://push.example/sub/1', { p256dh: 'BKEY', auth: 'AUTH' }],
    ]);
    expect(await devices.unregister(a.id, 'webpush', web.token)).toBe(true);
    expect(await devices.unregister(a.id, 'webpush', web.token)).toBe(false);
    expect(await devices.listOf(a.id)).toHaveLength(1);
  });

  it('moves a token registered again by another account', async () => {
    const [a, b] = [await data.account(), await data.account()];
    await devices.register(a.id, { platform: 'apns', token: 'abcdef01' });
    await devices.register(b.id, { platform: 'apns', token: 'abcdef01' });
    expect(await devices.listOf(a.id)).toEqual([]);
    expect((await devices.listOf(b.id)).map((d) => d.token)).toEqual(['abcdef01']);
    // Unregistering from the old account touches nothing.
    expect(await devices.unregister(a.id, 'apns', 'abcdef01')).toBe(false);
  });

  it('targets members without do-not-disturb, and mentioned ones as their setting says', async () => {
    const [a, b, c, d, e, outsider] = await Promise.all([
      data.account(),
      data.account(),
      data.account(),
      data.account(),
      data.account(),
      data.account(),
    ]);
    const { relation } = await data.group(a, [b, c, d, e]);
    for (const acc of [a, b, c, d, e, outsider]) {
      await devices.register(acc.id, { platform: 'fcm', token: `t-${acc.id}` });
    }
    // c, d and e have set the group do-not-disturb; d allows mentions through, e does not,
    // c never chose (the server's default decides).
    for (const acc of [c, d, e]) {
      await suite.db.em
        .fork()
        .getConnection()
        .execute(
          'UPDATE setting SET is_not_disturb = true WHERE account_id = ? AND relation_id = ?',
          [acc.id, relation.id],
        );
    }
    expect(await devices.updateSettings(d.id, { mentionsBreakDnd: true })).toBe(true);
    expect(await devices.updateSettings(e.id, { mentionsBreakDnd: false })).toBe(true);
    const ids = [b.id, c.id, d.id, e.id, outsider.id];
    const targets = async (dnd?: { mentioned: number[]; mentionsBreakDnd: boolean }) =>
      (await devices.targetsFor(relation.id, ids, dnd)).map((x) => x.accountId).sort();
    const sorted = (...xs: number[]) => xs.sort();
    expect(await targets()).toEqual([b.id]);
    // Nobody mentioned: do-not-disturb holds whatever the settings.
    expect(await targets({ mentioned: [], mentionsBreakDnd: true })).toEqual([b.id]);
    const mentioned = [c.id, d.id, e.id];
    expect(await targets({ mentioned, mentionsBreakDnd: true })).toEqual(sorted(b.id, c.id, d.id));
    expect(await targets({ mentioned, mentionsBreakDnd: false })).toEqual(sorted(b.id, d.id));
    expect(await devices.targetsFor(relation.id, [])).toEqual([]);
  });

  it('stores the push settings of an account, null until it chooses', async () => {
    const a = await data.account();
    expect(await devices.settingsOf(a.id)).toEqual({ mentionsBreakDnd: null });
    expect(await devices.updateSettings(a.id, { mentionsBreakDnd: false })).toBe(true);
    expect(await devices.settingsOf(a.id)).toEqual({ mentionsBreakDnd: false });
    expect(await devices.updateSettings(a.id, { mentionsBreakDnd: true })).toBe(true);
    expect(await devices.settingsOf(a.id)).toEqual({ mentionsBreakDnd: true });
    expect(await devices.settingsOf(987_654_321)).toBeNull();
    expect(await devices.updateSettings(987_654_321, { mentionsBreakDnd: true })).toBe(false);
  });

  it('tells which accounts have a device', async () => {
    const [a, b, c] = [await data.account(), await data.account(), await data.account()];
    await devices.register(a.id, { platform: 'fcm', token: `has-1-${a.id}` });
    await devices.register(a.id, { platform: 'fcm', token: `has-2-${a.id}` });
    const gone = await devices.register(c.id, { platform: 'fcm', token: `has-${c.id}` });
    expect(await devices.accountsWithDevices([a.id, b.id, c.id])).toEqual(new Set([a.id, c.id]));
    await devices.removeDead(gone.id, gone.token);
    expect(await devices.accountsWithDevices([a.id, b.id, c.id])).toEqual(new Set([a.id]));
    expect(await devices.accountsWithDevices([])).toEqual(new Set());
  });

  it('names the group and the sender of a notification', async () => {
    const [a, b] = [await data.account({ name: 'ann' }), await data.account({ name: 'bob' })];
    const { relation: group } = await data.group(a, [b], { groupName: 'hikers' });
    const { relation: friends } = await data.friendship(a, b);
    expect(await devices.namesFor(group.id, a.id)).toEqual({
      groupName: 'hikers',
      senderName: 'ann',
    });
    expect(await devices.namesFor(friends.id, b.id)).toEqual({
      groupName: null,
      senderName: 'bob',
    });
    expect(await devices.namesFor(group.id, null)).toEqual({
      groupName: 'hikers',
      senderName: null,
    });
  });

  it('removes a dead device once, and not a token registered again meanwhile', async () => {
    const a = await data.account();
    const d = await devices.register(a.id, { platform: 'fcm', token: 'dying' });
    expect(await devices.removeDead(d.id, 'dying')).toBe(a.id);
    expect(await devices.removeDead(d.id, 'dying')).toBeNull();
    const fresh = await devices.register(a.id, { platform: 'fcm', token: 'dying' });
    expect(await devices.removeDead(d.id, 'dying')).toBeNull();
    expect((await devices.listOf(a.id)).map((x) => x.id)).toEqual([fresh.id]);
  });
});
