import {
  CheckConstraintViolationException,
  ForeignKeyConstraintViolationException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Writable } from 'node:stream';
import pino from 'pino';
import { snowflakeTime } from '@chat/ids';
import { openSuiteDatabase, testDatabaseKind, TestData, type SuiteDatabase } from './testing';
import { MIGRATIONS } from './migrations';
import {
  Account,
  Application,
  GroupNotify,
  Message,
  MessageSearchRepository,
  PgMessageQueryRepository,
  PgUserRepository,
  ReadCursor,
  Relation,
  Setting,
  StoredFile,
  User,
  contentGrams,
  migrate,
  openDatabase,
  pendingMigrations,
  toTextArrayLiteral,
  type Database,
} from './index';

const log = pino({ level: 'silent' });
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

let suite: SuiteDatabase;
let db: Database;
let tablesBefore: string[];
let firstRun: string[];

async function tableNames(em: EntityManager): Promise<string[]> {
  const rows = await em.execute<{ table_name: string }[]>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

/** Own enumerable fields, so entities compare by value whatever their prototype. */
const fields = (e: object): Record<string, unknown> => ({ ...e });

/** Persists with one fork, then reads back with a fresh one: nothing comes from memory. */
async function roundTrip<T extends object>(
  entity: new () => T,
  data: object,
  where: (created: T) => object,
): Promise<{ created: T; loaded: T }> {
  const em = db.em.fork();
  const created = em.create(entity, data as never) as T;
  await em.flush();
  const loaded = (await db.em.fork().findOneOrFail(entity, where(created) as never)) as T;
  expect(loaded).not.toBe(created);
  return { created, loaded };
}

beforeAll(async () => {
  suite = await openSuiteDatabase('db', log, { migrated: false });
  db = suite.db;
  tablesBefore = await tableNames(db.em.fork());
  firstRun = await migrate(db.orm, log);
});

afterAll(async () => {
  await db?.close();
  await db?.close(); // safe twice
  await suite?.cleanup();
});

describe('migrations', () => {
  it('create every table of docs/data-model.md §2 on a fresh database', async () => {
    expect(tablesBefore).toEqual([]);
    expect(firstRun).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await tableNames(db.em.fork())).toEqual([
      'account',
      'account_block',
      'application',
      'file',
      'group_notify',
      'message',
      'message_mention',
      'message_reaction',
      'message_search',
      'mikro_orm_migrations',
      'outbox',
      'push_device',
      'read_cursor',
      'relation',
      'relation_change',
      'setting',
      'user',
    ]);
  });

  it('apply nothing when run again on a migrated database', async () => {
    expect(await migrate(db.orm, log)).toEqual([]);
    expect(await pendingMigrations(db.orm)).toEqual([]);
  });

  it('create the GIN, expression and partial indexes the model relies on', async () => {
    const rows = await db.em
      .fork()
      .execute<{ indexname: string; indexdef: string }[]>(
        `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`,
      );
    const defs = new Map(rows.map((r) => [r.indexname, r.indexdef]));
    expect(defs.get('message_search_grams_idx')).toMatch(
      /ON public\.message_search USING gin \(grams\)/,
    );
    expect(defs.get('account_name_prefix_idx')).toMatch(/\(name text_pattern_ops\)/);
    expect(defs.get('application_pair_key')).toMatch(
      /UNIQUE INDEX .* \(LEAST\(account1_id, account2_id\), GREATEST\(account1_id, account2_id\)\)/,
    );
    expect(defs.get('user_email_lower_key')).toMatch(/UNIQUE INDEX .*\(lower\(\(email\)::text\)\)/);
    expect(defs.get('relation_friend_pair_key')).toMatch(
      /WHERE \(relation_type = 'friend'::text\)/,
    );
    expect(defs.get('setting_one_leader_key')).toMatch(/WHERE is_leader/);
    expect(defs.get('message_one_top_key')).toMatch(/WHERE is_top/);
    // Not unique: a client_msg_id may be reused after the send dedup window.
    expect(defs.get('message_client_msg_id_idx')).toMatch(
      /^CREATE INDEX .* \(account_id, client_msg_id, id\) WHERE \(client_msg_id IS NOT NULL\)$/,
    );
    expect(defs.has('message_client_msg_id_key')).toBe(false);
  });
});

// Connection failures and SQL logging of a server URL: PostgreSQL only.
(testDatabaseKind() === 'postgres' ? describe : describe.skip)('openDatabase', () => {
  const ctx = () => suite.postgres!;
  it('fails with the cause kept when the database does not exist', async () => {
    const url = new URL(ctx().databaseUrl);
    url.pathname = `/${ctx().databaseName}_missing`;
    const err = await openDatabase({ url: url.toString() }, log).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'InfrastructureError', retryable: true });
    expect((err as Error).message).toMatch(/cannot connect to .*_missing: .*does not exist/);
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it('logs SQL in debug mode without the parameter values', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const debugDb = await openDatabase(
      { url: ctx().databaseUrl, poolMax: 1, debug: true },
      pino({ level: 'debug' }, sink),
    );
    try {
      await debugDb.em.fork().findOne(User, { email: 'secret-address@example.com' });
    } finally {
      await debugDb.close();
    }
    const queries = lines.filter((l) => l.orm === 'query');
    expect(queries.some((l) => /from "user"/.test(String(l.sql)))).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('secret-address');
  });

  it('logs a pooled connection the server dropped as a JSON line, and carries on', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const printed = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const pooled = await openDatabase({ url: ctx().databaseUrl, poolMax: 1 }, pino(sink));
    try {
      const pid = async () =>
        (
          await pooled.em
            .getConnection()
            .execute<{ pid: number }[]>('select pg_backend_pid() as pid')
        )[0].pid;
      const first = await pid();
      // What a Postgres restart does to every idle connection of the pool.
      await db.em.getConnection().execute('select pg_terminate_backend(?)', [first]);
      await waitUntil(
        async () =>
          (
            await db.em
              .getConnection()
              .execute('select 1 from pg_stat_activity where pid = ?', [first])
          ).length === 0,
      );
      // The server has closed it; until this process has read that close, one query may
      // still be handed the dead connection and fail (as an app's query may at a restart).
      // After that the pool opens a new one.
      let failures = 0;
      let next = first;
      await waitUntil(async () => {
        try {
          next = await pid();
          return true;
        } catch {
          failures++;
          return false;
        }
      });
      expect(next).not.toBe(first);
      expect(failures).toBeLessThanOrEqual(1);
      expect(printed).not.toHaveBeenCalled();
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 40, msg: expect.stringMatching(/^Connection Error/) }),
      );
    } finally {
      printed.mockRestore();
      await pooled.close();
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('entities', () => {
  let t: TestData;
  beforeEach(() => {
    t = new TestData(db.em.fork());
  });

  it('round-trip a user with its identity id as a number and the database default time', async () => {
    const { created, loaded } = await roundTrip(
      User,
      { email: 'Round.Trip@Example.com', password: '$argon2id$hash' },
      (u) => ({ id: u.id }),
    );
    expect(typeof loaded.id).toBe('number');
    expect(loaded.createAt).toBeInstanceOf(Date);
    expect(fields(loaded)).toEqual(fields(created));
    expect(loaded.email).toBe('Round.Trip@Example.com'); // stored as given
  });

  it('round-trip an account with its default gender and its user id', async () => {
    const user = await t.user();
    const { created, loaded } = await roundTrip(
      Account,
      { userId: user.id, name: '小明', avatar: 'https://a.example/1.png', signature: '签名' },
      (a) => ({ id: a.id }),
    );
    expect(loaded.gender).toBe('未知');
    expect(loaded.userId).toBe(user.id);
    expect(fields(loaded)).toEqual(fields(created));
  });

  it('round-trip friend and group relations with their nullable columns', async () => {
    const [a, b] = [await t.account(), await t.account()];
    const friend = await roundTrip(
      Relation,
      {
        relationType: 'friend',
        account1Id: a.id,
        account2Id: b.id,
        groupName: null,
        groupDescription: null,
        groupAvatar: null,
      },
      (r) => ({ id: r.id }),
    );
    expect(fields(friend.loaded)).toEqual(fields(friend.created));
    expect(friend.loaded).toMatchObject({ account1Id: a.id, account2Id: b.id, groupName: null });

    const group = await roundTrip(
      Relation,
      {
        relationType: 'group',
        account1Id: null,
        account2Id: null,
        groupName: '周末爬山',
        groupDescription: '每周六早上',
        groupAvatar: 'https://a.example/g.png',
      },
      (r) => ({ id: r.id }),
    );
    expect(fields(group.loaded)).toEqual(fields(group.created));
    expect(group.loaded.account1Id).toBeNull();
  });

  it('round-trip a setting by its composite key with every default filled in', async () => {
    const a = await t.account();
    const { relation } = await t.group(await t.account());
    const { created, loaded } = await roundTrip(
      Setting,
      { accountId: a.id, relationId: relation.id, nickName: '老王', isPin: true },
      (s) => ({ accountId: s.accountId, relationId: s.relationId }),
    );
    expect(fields(loaded)).toEqual(fields(created));
    expect(loaded).toMatchObject({
      nickName: '老王',
      isNotDisturb: false,
      isPin: true,
      isShow: true,
      isLeader: false,
      isSelf: false,
    });
    expect(loaded.pinTime).toBeInstanceOf(Date);
    expect(loaded.lastShow).toBeInstanceOf(Date);
  });

  it('round-trip a read cursor holding the largest safe message id', async () => {
    const a = await t.account();
    const { relation } = await t.friendship(a, a);
    const { created, loaded } = await roundTrip(
      ReadCursor,
      { accountId: a.id, relationId: relation.id, lastReadMsgId: MAX_SAFE },
      (c) => ({ accountId: c.accountId, relationId: c.relationId }),
    );
    expect(loaded.lastReadMsgId).toBe(MAX_SAFE);
    expect(fields(loaded)).toEqual(fields(created));
  });

  it('round-trip an application and move its update time on every update', async () => {
    const [a, b] = [await t.account(), await t.account()];
    const { created, loaded } = await roundTrip(
      Application,
      { account1Id: a.id, account2Id: b.id, applyMsg: '我是小明' },
      (x) => ({ account1Id: x.account1Id, account2Id: x.account2Id }),
    );
    expect(loaded).toMatchObject({ status: '已申请', refuseMsg: '' });
    expect(fields(loaded)).toEqual(fields(created));

    const em = db.em.fork();
    const app = await em.findOneOrFail(Application, { account1Id: a.id, account2Id: b.id });
    const before = app.updateAt;
    app.status = '已拒绝';
    app.refuseMsg = '不认识';
    await em.flush();
    const updated = await db.em.fork().findOneOrFail(Application, [a.id, b.id]);
    expect(updated).toMatchObject({ status: '已拒绝', refuseMsg: '不认识' });
    expect(updated.updateAt.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(updated.createAt).toEqual(loaded.createAt);
  });

  it('round-trip a file with its size in bytes as a number', async () => {
    const a = await t.account();
    const { created, loaded } = await roundTrip(
      StoredFile,
      {
        purpose: 'account_avatar',
        fileName: '头像.png',
        fileType: 'img',
        fileSize: 2 ** 40,
        key: 'avatars/1.png',
        url: 'https://files.example/avatars/1.png',
        relationId: null,
        accountId: a.id,
      },
      (f) => ({ id: f.id }),
    );
    expect(loaded.fileSize).toBe(2 ** 40);
    expect(fields(loaded)).toEqual(fields(created));
  });

  it('round-trip a message with jsonb, timestamps and the largest safe ids, and its text[] grams', async () => {
    const a = await t.account();
    const { relation } = await t.friendship(a, a);
    const id = MAX_SAFE; // the last id a snowflake can ever have
    const createAt = snowflakeTime(id);
    const tricky = '引号"反斜杠\\逗号,花括号{}NULL\u0001 😀';
    const { created, loaded } = await roundTrip(
      Message,
      {
        id,
        relationId: relation.id,
        notifyType: 'common',
        msgType: 'text',
        msgContent: tricky,
        msgExtend: { remind: [{ idx: 1, account_id: a.id }] },
        fileId: null,
        accountId: a.id,
        rlyMsgId: MAX_SAFE - 1,
        clientMsgId: 'c-1',
        createAt,
        pinTime: createAt,
        seq: 9_007_199_254_740_991,
        editAt: null,
        changeSeq: 9_007_199_254_740_991,
      },
      (m) => ({ id: m.id }),
    );
    expect(loaded.id).toBe(MAX_SAFE);
    expect(loaded.rlyMsgId).toBe(MAX_SAFE - 1);
    expect(loaded.msgExtend).toEqual({ remind: [{ idx: 1, account_id: a.id }] });
    expect(loaded.createAt.toISOString()).toBe('2093-09-06T15:47:35.551Z');
    expect(fields(loaded)).toEqual(fields(created));

    const grams = [...contentGrams(tricky), 'NULL', '', '"\u0001'];
    const search = new MessageSearchRepository(db.em);
    expect(await search.index([{ messageId: id, relationId: relation.id, grams }])).toBe(1);
    const [row] = await db.em
      .fork()
      .execute<{ relation_id: string; grams: string[] }[]>(
        'SELECT relation_id, grams FROM message_search WHERE message_id = ?',
        [id],
      );
    expect(row).toEqual({ relation_id: String(relation.id), grams });
  });

  it('round-trip a group notice with a null extension', async () => {
    const leader = await t.account();
    const { relation } = await t.group(leader);
    const { created, loaded } = await roundTrip(
      GroupNotify,
      {
        relationId: relation.id,
        msgContent: '周六八点集合',
        msgExpand: null,
        accountId: leader.id,
        createAt: new Date('2026-11-26T12:34:56.789Z'),
      },
      (n) => ({ id: n.id }),
    );
    expect(loaded.msgExpand).toBeNull();
    expect(loaded.createAt.toISOString()).toBe('2026-11-26T12:34:56.789Z');
    expect(fields(loaded)).toEqual(fields(created));
  });
});

describe('constraints', () => {
  let t: TestData;
  beforeEach(() => {
    t = new TestData(db.em.fork());
  });

  it('refuse a second friendship between the same two accounts', async () => {
    const [a, b] = [await t.account(), await t.account()];
    await t.friendship(a, b);
    const err = await new TestData(db.em.fork()).friendship(b, a).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniqueConstraintViolationException);
    expect(err).toMatchObject({ constraint: 'relation_friend_pair_key' });
  });

  it('refuse a friend row whose account ids are in descending order', async () => {
    const [a, b] = [await t.account(), await t.account()];
    const em = db.em.fork();
    em.create(Relation, {
      relationType: 'friend',
      account1Id: Math.max(a.id, b.id),
      account2Id: Math.min(a.id, b.id),
      groupName: null,
      groupDescription: null,
      groupAvatar: null,
    });
    const err = await em.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckConstraintViolationException);
    expect(err).toMatchObject({ constraint: 'relation_shape_check' });
  });

  it('refuse a second leader in one group', async () => {
    const [leader, other] = [await t.account(), await t.account()];
    const { relation } = await t.group(leader, [other]);
    const em = db.em.fork();
    const setting = await em.findOneOrFail(Setting, {
      accountId: other.id,
      relationId: relation.id,
    });
    setting.isLeader = true;
    const err = await em.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniqueConstraintViolationException);
    expect(err).toMatchObject({ constraint: 'setting_one_leader_key' });
  });

  it('refuse an email that differs from an existing one only in letter case', async () => {
    await t.user({ email: 'Case.Test@Example.com' });
    const err = await new TestData(db.em.fork())
      .user({ email: 'case.test@EXAMPLE.COM' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniqueConstraintViolationException);
    expect(err).toMatchObject({ constraint: 'user_email_lower_key' });
  });

  it('refuse ids of 2^53, beyond the safe JavaScript range', async () => {
    const a = await t.account();
    const { relation } = await t.friendship(a, a);
    const id = 2 ** 53;
    const em = db.em.fork();
    em.create(Message, {
      id,
      relationId: relation.id,
      notifyType: 'common',
      msgType: 'text',
      msgContent: 'x',
      msgExtend: null,
      fileId: null,
      accountId: a.id,
      rlyMsgId: null,
      clientMsgId: null,
      createAt: snowflakeTime(id),
      pinTime: snowflakeTime(id),
    });
    const err = await em.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckConstraintViolationException);
    expect(err).toMatchObject({ constraint: 'message_id_range' });

    const raw = await db.em
      .fork()
      .execute(
        `INSERT INTO "user" (id, email, password) OVERRIDING SYSTEM VALUE
         VALUES (9007199254740992, 'big@example.com', 'h')`,
      )
      .catch((e: unknown) => e);
    expect(raw).toMatchObject({ constraint: 'user_id_range' });
  });

  it('refuse a message whose create_at is not the time encoded in its id', async () => {
    const a = await t.account();
    const { relation } = await t.friendship(a, a);
    const em = db.em.fork();
    const id = t.ids.next();
    em.create(Message, {
      id,
      relationId: relation.id,
      notifyType: 'common',
      msgType: 'text',
      msgContent: 'x',
      msgExtend: null,
      fileId: null,
      accountId: a.id,
      rlyMsgId: null,
      clientMsgId: null,
      createAt: new Date(snowflakeTime(id).getTime() + 1),
      pinTime: snowflakeTime(id),
    });
    const err = await em.flush().catch((e: unknown) => e);
    expect(err).toMatchObject({ constraint: 'message_create_at_check' });
  });

  it('refuse a second setting for the same account and relation', async () => {
    const a = await t.account();
    const { relation } = await t.group(a);
    const em = db.em.fork();
    // insert() bypasses the identity map, which would otherwise merge the duplicate.
    const err = await em
      .insert(Setting, { accountId: a.id, relationId: relation.id })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniqueConstraintViolationException);
    expect(err).toMatchObject({ constraint: 'setting_pkey' });
  });

  it('refuse an application in the reverse direction of an existing one', async () => {
    const [a, b] = [await t.account(), await t.account()];
    await t.application(a, b);
    const err = await new TestData(db.em.fork()).application(b, a).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniqueConstraintViolationException);
    expect(err).toMatchObject({ constraint: 'application_pair_key' });
  });

  it('refuse to delete a user who still has accounts, and allow it once they are gone', async () => {
    const account = await t.account();
    const em = db.em.fork();
    const err = await em.nativeDelete(User, { id: account.userId }).catch((e: unknown) => e);
    // PostgreSQL 18 (PGlite) reports RESTRICT as 23001, which MikroORM does not classify;
    // earlier versions report 23503, a ForeignKeyConstraintViolationException.
    expect(['23503', '23001']).toContain((err as { code?: string }).code);
    expect(err).toMatchObject({ constraint: 'account_user_id_fkey' });
    expect(await em.count(User, { id: account.userId })).toBe(1);
    expect(await new PgUserRepository(db.em).delete(account.userId)).toBe('has_accounts');

    await em.nativeDelete(Account, { id: account.id });
    expect(await em.nativeDelete(User, { id: account.userId })).toBe(1);
  });

  it('drop the read cursor when its setting is deleted (leaving a conversation)', async () => {
    const [leader, member] = [await t.account(), await t.account()];
    const { relation } = await t.group(leader, [member]);
    const em = db.em.fork();
    em.create(ReadCursor, { accountId: member.id, relationId: relation.id, lastReadMsgId: 42 });
    await em.flush();

    await em.nativeDelete(Setting, { accountId: member.id, relationId: relation.id });
    expect(await em.count(ReadCursor, { accountId: member.id, relationId: relation.id })).toBe(0);
    expect(await em.count(Setting, { relationId: relation.id })).toBe(1);
  });

  it('refuse a read cursor for an account that is not a member', async () => {
    const [leader, stranger] = [await t.account(), await t.account()];
    const { relation } = await t.group(leader);
    const err = await db.em
      .fork()
      .insert(ReadCursor, { accountId: stranger.id, relationId: relation.id })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForeignKeyConstraintViolationException);
    expect(err).toMatchObject({ constraint: 'read_cursor_setting_fkey' });
  });

  it('turn avatar files into orphans when their account is deleted', async () => {
    const a = await t.account();
    const file = await t.file({ purpose: 'account_avatar', accountId: a.id });
    const em = db.em.fork();
    await em.nativeDelete(Account, { id: a.id });
    const orphan = await em.findOneOrFail(StoredFile, file.id);
    expect(orphan.accountId).toBeNull();
  });
});

describe('message search (docs/data-model.md §3)', () => {
  /**
   * What `/api/msg/list/content` answers within one relation: the repository's search, as
   * the api runs it (`MessageQueryRepository.search`), newest first.
   */
  async function search(relationId: number, q: string, caller = owner): Promise<string[]> {
    const found = new PgMessageQueryRepository(db.em).search(caller, relationId, q, {
      page: 1,
      pageSize: 200,
    });
    expect(found).not.toBeNull(); // an empty query is refused before SQL (1001)
    return (await found!).rows.map((r) => r.msgContent);
  }

  /** The statements (text and parameters) the repository sends while `run` runs. */
  async function statementsOf(run: () => Promise<unknown>): Promise<[string, unknown[]][]> {
    const execute = jest.spyOn(db.em.getConnection(), 'execute');
    try {
      await run();
      return execute.mock.calls.map(([sql, params]) => [String(sql), (params ?? []) as unknown[]]);
    } finally {
      execute.mockRestore();
    }
  }

  let owner: number;
  let relationId: number;
  beforeAll(async () => {
    const t = new TestData(db.em.fork());
    const a = await t.account();
    owner = a.id;
    relationId = (await t.friendship(a, a)).relation.id;
    for (const content of [
      '明天下午三点开会',
      '今天天气很好',
      '天',
      'Hello World, meet at 3PM',
      'progress: 100% done',
      'progress: 1000 done',
    ]) {
      await t.textMessage(relationId, a, content);
    }
    await t.textMessage(relationId, a, '撤回的天气消息', { isRevoke: true });
    // A file message: its URL mentions 天气, but file messages are not indexed.
    const file = await t.file({ relationId });
    const fileMsgId = t.ids.next();
    t.em.create(Message, {
      id: fileMsgId,
      relationId,
      notifyType: 'common',
      msgType: 'file',
      msgContent: 'https://files.example/天气.png',
      msgExtend: null,
      fileId: file.id,
      accountId: a.id,
      rlyMsgId: null,
      clientMsgId: null,
      createAt: snowflakeTime(fileMsgId),
      pinTime: snowflakeTime(fileMsgId),
    });
    await t.em.flush();
  });

  it('finds every message containing a one-character Chinese query, newest first', async () => {
    expect(await search(relationId, '天')).toEqual(['天', '今天天气很好', '明天下午三点开会']);
  });

  it('finds a two-character Chinese query and skips revoked and file messages', async () => {
    expect(await search(relationId, '天气')).toEqual(['今天天气很好']);
  });

  it('matches English regardless of ASCII letter case', async () => {
    expect(await search(relationId, 'hello WORLD')).toEqual(['Hello World, meet at 3PM']);
    expect(await search(relationId, 'pm')).toEqual(['Hello World, meet at 3PM']);
  });

  it('treats % and _ in a query as literal characters', async () => {
    expect(await search(relationId, '0%')).toEqual(['progress: 100% done']);
    expect(await search(relationId, '1_0')).toEqual([]);
  });

  it('requires the characters in query order, not just the same grams', async () => {
    expect(await search(relationId, '天今')).toEqual([]);
  });

  it('uses the GIN index on message_search.grams in a large conversation', async () => {
    const t = new TestData(db.em.fork());
    const a = await t.account();
    const big = (await t.friendship(a, a)).relation.id;
    // 20 000 filler messages in one relation, ids 4096·n (one per millisecond of 2024).
    const filler = 'lorem ipsum 占位文字';
    await db.em.fork().execute(
      `INSERT INTO message (id, relation_id, notify_type, msg_type, msg_content, account_id,
                            create_at, pin_time)
       SELECT g * 4096, ?, 'common', 'text', ?, ?,
              timestamptz '2024-01-01 00:00:00+00' + g * interval '1 millisecond',
              timestamptz '2024-01-01 00:00:00+00' + g * interval '1 millisecond'
       FROM generate_series(1, 20000) AS g`,
      [big, filler, a.id],
    );
    await db.em.fork().execute(
      `INSERT INTO message_search (message_id, relation_id, grams)
       SELECT g * 4096, ?, ?::text[] FROM generate_series(1, 20000) AS g`,
      [big, toTextArrayLiteral(contentGrams(filler))],
    );
    await t.textMessage(big, a, '明天的天气怎么样');
    await db.em.fork().execute('ANALYZE message');
    // As autovacuum does after a bulk load: the GIN index's pending list merged.
    await db.em.fork().execute('VACUUM ANALYZE message_search');

    let found: string[] = [];
    const statements = await statementsOf(async () => {
      found = await search(big, '天气', a.id);
    });
    expect(found).toEqual(['明天的天气怎么样']);
    // The page and its count: each finds its candidates through the index.
    expect(statements).toHaveLength(2);
    for (const [sql, params] of statements) {
      const plan = await db.em.fork().execute<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${sql}`, params);
      expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/message_search_grams_idx/);
    }
  });
});
