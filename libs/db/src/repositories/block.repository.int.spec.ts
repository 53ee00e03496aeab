import { openSuiteDatabase, TestData, type SuiteDatabase } from '../testing';
import type { Database } from '../open-database';
import { PgBlockRepository } from './block.repository';
import { PgGroupRepository } from './group.repository';
import { PgSettingRepository } from './setting.repository';

/** The block list, member mutes and the send restrictions they make, on a real database. */
describe('block and mute repositories', () => {
  let suite: SuiteDatabase;
  let db: Database;
  let blocks: PgBlockRepository;
  let groups: PgGroupRepository;
  let settings: PgSettingRepository;
  let data: TestData;

  beforeAll(async () => {
    suite = await openSuiteDatabase('db_blocks');
    db = suite.db;
    blocks = new PgBlockRepository(db.em);
    groups = new PgGroupRepository(db.em);
    settings = new PgSettingRepository(db.em);
    data = new TestData(db.em.fork());
  });

  afterAll(async () => {
    await suite?.cleanup();
  });

  it('blocks once, lists latest first, finds the pair either way and lifts the block', async () => {
    const a = await data.account();
    const b = await data.account();
    const c = await data.account();
    const { relation } = await data.friendship(a.id, b.id);

    expect(await blocks.add(a.id, b.id)).toEqual({ created: true, friendRelationId: relation.id });
    expect(await blocks.add(a.id, b.id)).toEqual({ created: false, friendRelationId: relation.id });
    expect(await blocks.add(a.id, c.id)).toEqual({ created: true, friendRelationId: null });
    expect(await blocks.add(a.id, 9_000_000_000)).toBe('account_gone');

    const listed = await blocks.list(a.id, 1, 10);
    expect(listed.total).toBe(2);
    expect(new Set(listed.rows.map((r) => r.accountId))).toEqual(new Set([b.id, c.id]));
    expect(listed.rows[0]).toMatchObject({ name: expect.any(String), avatar: expect.any(String) });
    expect((await blocks.list(a.id, 2, 1)).rows).toHaveLength(1);

    expect(await blocks.between(a.id, b.id)).toEqual({ aBlocksB: true, bBlocksA: false });
    expect(await blocks.between(b.id, a.id)).toEqual({ aBlocksB: false, bBlocksA: true });
    expect(await blocks.blockersOf(b.id, [a.id, c.id])).toEqual([a.id]);
    expect(await blocks.sendRestrictions(relation.id)).toEqual({
      blocks: [{ blockerId: a.id, blockedId: b.id }],
      mutes: [],
    });

    expect(await blocks.remove(a.id, b.id)).toEqual({
      removed: true,
      friendRelationId: relation.id,
    });
    expect(await blocks.remove(a.id, b.id)).toEqual({
      removed: false,
      friendRelationId: relation.id,
    });
    expect(await blocks.between(a.id, b.id)).toEqual({ aBlocksB: false, bBlocksA: false });
    expect((await blocks.sendRestrictions(relation.id)).blocks).toEqual([]);
  });

  it('hides a blocked friend from the blocker’s lists only, until unblocked', async () => {
    const a = await data.account();
    const b = await data.account();
    const { relation } = await data.friendship(a.id, b.id);
    const friendIds = async (id: number) => (await settings.friends(id)).map((f) => f.relationId);
    const shownIds = async (id: number) => (await settings.shown(id)).map((f) => f.relationId);

    await blocks.add(a.id, b.id);
    expect(await friendIds(a.id)).not.toContain(relation.id);
    expect(await shownIds(a.id)).not.toContain(relation.id);
    expect(await friendIds(b.id)).toContain(relation.id);
    await blocks.remove(a.id, b.id);
    expect(await friendIds(a.id)).toContain(relation.id);
    expect(await shownIds(a.id)).toContain(relation.id);
  });

  it('mutes a member for the leader only, shows it in the member list and lifts it', async () => {
    const leader = await data.account();
    const member = await data.account();
    const { relation } = await data.group(leader.id, [member.id]);
    const until = new Date(Date.now() + 60_000);

    expect(await groups.mute(relation.id, member.id, leader.id, until)).toBe('not_leader');
    expect(await groups.mute(relation.id, leader.id, 9_000_000_000, until)).toBe('not_member');
    expect(await groups.mute(relation.id, leader.id, member.id, until)).toEqual({
      memberIds: [leader.id, member.id].sort((x, y) => x - y),
    });
    const muted = (await groups.members(relation.id)).find((m) => m.accountId === member.id);
    expect(muted?.mutedUntil?.getTime()).toBe(until.getTime());
    expect(await blocks.sendRestrictions(relation.id)).toEqual({
      blocks: [],
      mutes: [{ accountId: member.id, until }],
    });

    await groups.mute(relation.id, leader.id, member.id, null);
    expect((await groups.members(relation.id)).every((m) => m.mutedUntil === null)).toBe(true);
    expect((await blocks.sendRestrictions(relation.id)).mutes).toEqual([]);

    // An ended mute is not shown.
    await groups.mute(relation.id, leader.id, member.id, new Date(Date.now() - 1000));
    expect((await groups.members(relation.id)).every((m) => m.mutedUntil === null)).toBe(true);
  });
});
