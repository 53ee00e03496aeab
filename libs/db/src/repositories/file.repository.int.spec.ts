import { openSuiteDatabase, TestData, type SuiteDatabase } from '../testing';
import { Account } from '../entities/account.entity';
import { StoredFile } from '../entities/file.entity';
import { Relation } from '../entities/relation.entity';
import type { Database } from '../open-database';
import type { NewFile } from '../ports/files';
import { PgFileRepository } from './file.repository';

let suite: SuiteDatabase;
let db: Database;
let repo: PgFileRepository;
let n = 0;

const upload = (): NewFile => {
  const key = `avatars/${++n}.png`;
  return { fileName: 'me.png', fileType: 'img', fileSize: 10, key, url: `https://f/${key}` };
};
const data = () => new TestData(db.em.fork());
const reload = (id: number) => db.em.fork().findOne(StoredFile, { id });

beforeAll(async () => {
  suite = await openSuiteDatabase('db_files');
  db = suite.db;
  repo = new PgFileRepository(db.em);
});

afterAll(async () => {
  await suite?.cleanup();
});

describe('FileRepository avatars', () => {
  it('records a first account avatar and points the account at it', async () => {
    const account = await data().account();
    const first = upload();
    const result = await repo.replaceAccountAvatar(account.id, first);
    if (result === 'account_gone') throw new Error('account exists');
    expect(result.previous).toBeNull();
    expect(result.file).toMatchObject({
      purpose: 'account_avatar',
      accountId: account.id,
      relationId: null,
      key: first.key,
    });
    expect(result.account.avatar).toBe(first.url);
    expect((await db.em.fork().findOneOrFail(Account, { id: account.id })).avatar).toBe(first.url);
  });

  it('detaches the replaced avatar in the same change, making it an orphan', async () => {
    const account = await data().account();
    const first = await repo.replaceAccountAvatar(account.id, upload());
    const second = await repo.replaceAccountAvatar(account.id, upload());
    if (first === 'account_gone' || second === 'account_gone') throw new Error('account exists');
    expect(second.previous?.id).toBe(first.file.id);
    expect(await reload(first.file.id)).toMatchObject({ accountId: null });
    const orphanIds = (await repo.orphans(0, 1000)).map((f) => f.id);
    expect(orphanIds).toContain(first.file.id);
    expect(orphanIds).not.toContain(second.file.id);
  });

  it('answers account_gone for a missing account and records nothing', async () => {
    const before = await repo.countOrphans();
    expect(await repo.replaceAccountAvatar(987654321, upload())).toBe('account_gone');
    expect(await repo.countOrphans()).toBe(before);
  });

  it('replaces a group avatar and refuses friendships and missing relations', async () => {
    const t = data();
    const leader = await t.account();
    const other = await t.account();
    const { relation: group } = await t.group(leader);
    const { relation: friendship } = await t.friendship(leader, other);

    const first = await repo.replaceGroupAvatar(group.id, leader.id, upload());
    const second = await repo.replaceGroupAvatar(group.id, leader.id, upload());
    if (first === 'not_group' || second === 'not_group') throw new Error('is a group');
    expect(second.previous?.id).toBe(first.file.id);
    expect(await reload(first.file.id)).toMatchObject({ relationId: null });
    expect(second.file).toMatchObject({
      purpose: 'group_avatar',
      relationId: group.id,
      accountId: leader.id,
    });
    expect((await db.em.fork().findOneOrFail(Relation, { id: group.id })).groupAvatar).toBe(
      second.file.url,
    );

    expect(await repo.replaceGroupAvatar(friendship.id, leader.id, upload())).toBe('not_group');
    expect(await repo.replaceGroupAvatar(987654321, leader.id, upload())).toBe('not_group');
  });
});

describe('FileRepository orphans', () => {
  it('finds the files whose owner or relation was deleted, and only those', async () => {
    const t = data();
    const owner = await t.account();
    const keeper = await t.account();
    const { relation: group } = await t.group(keeper);
    const { relation: friendship } = await t.friendship(owner, keeper);
    const avatar = await t.file({ purpose: 'account_avatar', accountId: owner.id });
    const liveAvatar = await t.file({ purpose: 'account_avatar', accountId: keeper.id });
    const messageFile = await t.file({
      purpose: 'message',
      relationId: friendship.id,
      accountId: owner.id,
    });
    const groupFile = await t.file({
      purpose: 'message',
      relationId: group.id,
      accountId: owner.id,
    });

    // Deleting the account drops its friendship too (docs/data-model.md §5).
    await db.em.fork().nativeDelete(Account, { id: owner.id });
    const orphanIds = (await repo.orphans(0, 10_000)).map((f) => f.id);
    expect(orphanIds).toEqual(expect.arrayContaining([avatar.id, messageFile.id]));
    expect(orphanIds).not.toContain(liveAvatar.id);
    // Still in a live group: an uploader that left does not orphan a message file.
    expect(orphanIds).not.toContain(groupFile.id);
  });

  it('pages orphans by id and deletes only rows that are still orphans', async () => {
    const t = data();
    const a = await t.file({ purpose: 'message', relationId: null });
    const b = await t.file({ purpose: 'group_avatar', relationId: null });
    const account = await t.account();
    const live = await t.file({ purpose: 'account_avatar', accountId: account.id });

    const firstPage = await repo.orphans(a.id - 1, 1);
    expect(firstPage.map((f) => f.id)).toEqual([a.id]);
    expect((await repo.orphans(a.id, 1)).map((f) => f.id)).toEqual([b.id]);

    const before = await repo.countOrphans();
    expect(await repo.deleteOrphan(a.id)).toBe(true);
    expect(await repo.deleteOrphan(a.id)).toBe(false);
    expect(await repo.deleteOrphan(live.id)).toBe(false);
    expect(await reload(live.id)).not.toBeNull();
    expect(await repo.countOrphans()).toBe(before - 1);
  });

  it('lists a relation’s files newest first', async () => {
    const t = data();
    const a = await t.account();
    const { relation } = await t.group(a);
    const older = await t.file({ relationId: relation.id });
    const newer = await t.file({ relationId: relation.id });
    expect((await repo.listByRelation(relation.id)).map((f) => f.id)).toEqual([newer.id, older.id]);
  });
});

describe('FileRepository message files', () => {
  it('records a member’s message file with its relation and uploader', async () => {
    const t = data();
    const a = await t.account();
    const b = await t.account();
    const { relation } = await t.friendship(a, b);
    const recorded = await repo.recordMessageFile(relation.id, a.id, upload());
    if (recorded === 'not_member') throw new Error('a is a member');
    expect(await reload(recorded.id)).toMatchObject({
      purpose: 'message',
      relationId: relation.id,
      accountId: a.id,
    });
    expect((await repo.listByRelation(relation.id)).map((f) => f.id)).toEqual([recorded.id]);
  });

  it('answers not_member for an account without a setting there, recording nothing', async () => {
    const t = data();
    const leader = await t.account();
    const stranger = await t.account();
    const { relation: group } = await t.group(leader);
    expect(await repo.recordMessageFile(group.id, stranger.id, upload())).toBe('not_member');
    expect(await repo.recordMessageFile(987654321, leader.id, upload())).toBe('not_member');
    expect(await repo.listByRelation(group.id)).toEqual([]);
  });
});
