/**
 * Test-only entry point (`@chat/db/testing`): a migrated database per suite and small
 * factories that insert valid rows, so later suites state only what their test is about.
 * Production code never imports this (docs/development.md §1).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SnowflakeGenerator, snowflakeTime } from '@chat/ids';
import { createSuiteContext, type SuiteContext } from '@chat/testing';
import type { EntityManager } from '@mikro-orm/postgresql';
import pino, { type Logger } from 'pino';
import { Account, type Gender } from '../entities/account.entity';
import { Application } from '../entities/application.entity';
import { StoredFile, type FilePurpose } from '../entities/file.entity';
import { Message } from '../entities/message.entity';
import type { MsgExtend } from '../entities/msg-extend';
import { Relation } from '../entities/relation.entity';
import { Setting } from '../entities/setting.entity';
import { User } from '../entities/user.entity';
import { createDatabase } from '../create-database';
import { migrate } from '../migrate';
import { openDatabase, type Database } from '../open-database';
import { MessageSearchRepository } from '../repositories/message-search.repository';
import { contentGrams } from '../search-grams';

export { textRows } from './message-rows';

/**
 * Opens `url` (typically `SuiteContext.databaseUrl`) and applies the migrations. Logs
 * nothing unless a logger is given.
 */
export async function openMigratedDatabase(
  url: string,
  log: Logger = pino({ level: 'silent' }),
): Promise<Database> {
  const db = await openDatabase({ url, poolMax: 4 }, log);
  try {
    await migrate(db.orm, log);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

/**
 * Which database the suites that call `openSuiteDatabase` run on: `postgres` (a fresh
 * database on the test server) unless `CHAT_TEST_DATABASE=pglite`, which the `db-pglite`
 * Jest project sets to run the same cases on the embedded database.
 */
export type TestDatabaseKind = 'postgres' | 'pglite';

export function testDatabaseKind(): TestDatabaseKind {
  const kind = process.env.CHAT_TEST_DATABASE ?? 'postgres';
  if (kind !== 'postgres' && kind !== 'pglite') {
    throw new Error(`CHAT_TEST_DATABASE: expected postgres or pglite, got ${kind}`);
  }
  return kind;
}

export interface SuiteDatabase {
  kind: TestDatabaseKind;
  db: Database;
  /** The suite's resources on the test servers, for kind `postgres`. */
  postgres?: SuiteContext;
  /** Closes the database and deletes it (the Postgres database or the PGlite folder). */
  cleanup(): Promise<void>;
}

/**
 * A database of one suite on the database `testDatabaseKind` names, migrated unless
 * `migrated` is false: the same cases run against PostgreSQL and against the embedded
 * PGlite (a contract of the database port, docs/development.md §7). `name` names the Postgres database
 * or the temporary folder.
 */
export async function openSuiteDatabase(
  name: string,
  log: Logger = pino({ level: 'silent' }),
  { migrated = true }: { migrated?: boolean } = {},
): Promise<SuiteDatabase> {
  const kind = testDatabaseKind();
  if (kind === 'postgres') {
    const ctx = await createSuiteContext(name);
    try {
      const db = migrated
        ? await openMigratedDatabase(ctx.databaseUrl, log)
        : await openDatabase({ url: ctx.databaseUrl, poolMax: 4 }, log);
      const cleanup = async () => {
        await db.close();
        await ctx.cleanup();
      };
      return { kind, db, postgres: ctx, cleanup };
    } catch (err) {
      await ctx.cleanup();
      throw err;
    }
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), `${name}-pglite-`));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  try {
    const db = await createDatabase({ kind: 'embedded', dir }, log);
    try {
      if (migrated) await migrate(db.orm, log);
    } catch (err) {
      await db.close();
      throw err;
    }
    const cleanup = async () => {
      await db.close();
      await removeDir();
    };
    return { kind, db, cleanup };
  } catch (err) {
    await removeDir();
    throw err;
  }
}

type Id = number | { id: number };
const idOf = (x: Id): number => (typeof x === 'number' ? x : x.id);
const unique = (): string => randomBytes(4).toString('hex');

/**
 * Inserts rows through `em` (a fork; each call flushes it) and returns the managed
 * entities, database defaults filled in. Message ids come from a generator on node 31,
 * so they are real snowflakes with `createAt` matching.
 */
export class TestData {
  constructor(
    readonly em: EntityManager,
    readonly ids: SnowflakeGenerator = new SnowflakeGenerator({ nodeId: 31 }),
  ) {}

  async user(overrides: Partial<Pick<User, 'email' | 'password'>> = {}): Promise<User> {
    const user = this.em.create(User, {
      email: `user-${unique()}@example.com`,
      password: '$argon2id$v=19$m=19456,t=2,p=1$not-a-real-hash',
      ...overrides,
    });
    await this.em.flush();
    return user;
  }

  /** An account of `userId`, or of a new user when none is given. */
  async account(
    overrides: Partial<{
      userId: number;
      name: string;
      avatar: string;
      gender: Gender;
      signature: string;
    }> = {},
  ): Promise<Account> {
    const userId = overrides.userId ?? (await this.user()).id;
    const account = this.em.create(Account, {
      name: `acct-${unique()}`,
      avatar: 'https://example.com/avatar.png',
      signature: '',
      ...overrides,
      userId,
    });
    await this.em.flush();
    return account;
  }

  /**
   * A friendship with a setting for each side; with the same account twice, its self
   * conversation (one setting, `isSelf`). Ids are ordered as docs/data-model.md §2.3 requires.
   */
  async friendship(a: Id, b: Id): Promise<{ relation: Relation; settings: Setting[] }> {
    const [account1Id, account2Id] = [idOf(a), idOf(b)].sort((x, y) => x - y);
    const relation = this.em.create(Relation, {
      relationType: 'friend',
      account1Id,
      account2Id,
      groupName: null,
      groupDescription: null,
      groupAvatar: null,
    });
    await this.em.flush();
    const isSelf = account1Id === account2Id;
    const settings = [...new Set([account1Id, account2Id])].map((accountId) =>
      this.em.create(Setting, { accountId, relationId: relation.id, isSelf }),
    );
    await this.em.flush();
    return { relation, settings };
  }

  /** A group led by `leader` with the given other members; settings in the same order. */
  async group(
    leader: Id,
    members: Id[] = [],
    overrides: Partial<Pick<Relation, 'groupName' | 'groupDescription' | 'groupAvatar'>> = {},
  ): Promise<{ relation: Relation; settings: Setting[] }> {
    const relation = this.em.create(Relation, {
      relationType: 'group',
      account1Id: null,
      account2Id: null,
      groupName: `group-${unique()}`,
      groupDescription: 'a test group',
      groupAvatar: 'https://example.com/group.png',
      ...overrides,
    });
    await this.em.flush();
    const settings = [
      this.em.create(Setting, { accountId: idOf(leader), relationId: relation.id, isLeader: true }),
      ...members.map((m) =>
        this.em.create(Setting, { accountId: idOf(m), relationId: relation.id }),
      ),
    ];
    await this.em.flush();
    return { relation, settings };
  }

  async application(from: Id, to: Id, applyMsg = 'hello'): Promise<Application> {
    const application = this.em.create(Application, {
      account1Id: idOf(from),
      account2Id: idOf(to),
      applyMsg,
    });
    await this.em.flush();
    return application;
  }

  async file(
    overrides: Partial<Omit<StoredFile, 'id' | 'createAt'>> & { purpose?: FilePurpose } = {},
  ): Promise<StoredFile> {
    const key = `test/${unique()}.png`;
    const file = this.em.create(StoredFile, {
      purpose: 'message',
      fileName: 'picture.png',
      fileType: 'img',
      fileSize: 1234,
      key,
      url: `https://files.example.com/${key}`,
      relationId: null,
      accountId: null,
      ...overrides,
    });
    await this.em.flush();
    return file;
  }

  /**
   * A common text message, as the persister would store it, and its search grams, as the
   * indexer would write them a moment later; `indexed: false` leaves the grams to a test
   * of the indexer.
   */
  async textMessage(
    relation: Id,
    sender: Id,
    content: string,
    {
      indexed = true,
      ...overrides
    }: Partial<Pick<Message, 'rlyMsgId' | 'clientMsgId' | 'isRevoke'>> & {
      msgExtend?: MsgExtend | null;
      indexed?: boolean;
    } = {},
  ): Promise<Message> {
    const id = this.ids.next();
    const createAt = snowflakeTime(id);
    const message = this.em.create(Message, {
      id,
      relationId: idOf(relation),
      notifyType: 'common',
      msgType: 'text',
      msgContent: content,
      msgExtend: null,
      fileId: null,
      accountId: idOf(sender),
      rlyMsgId: null,
      clientMsgId: null,
      createAt,
      pinTime: createAt,
      ...overrides,
    });
    await this.em.flush();
    if (indexed) {
      await new MessageSearchRepository(this.em).index([
        { messageId: id, relationId: idOf(relation), grams: contentGrams(content) },
      ]);
    }
    return message;
  }
}
