import { MessageStoreRepository, type Database, type MsgExtend, newMessageRow } from '@chat/db';
import { openSuiteDatabase, TestData, type SuiteDatabase } from '@chat/db/testing';
import { SnowflakeGenerator } from '@chat/ids';
import {
  groupSchemas,
  MAX_ID,
  sendMsgData,
  socialSchemas,
  userAccountSchemas,
  type InputLimits,
  type MessageRecord,
} from '@chat/protocol';
import { messageRecord } from '@chat/bus/testing';
import fc from 'fast-check';
import type { z } from 'zod';

/**
 * The edge refuses everything the persister would have to give up (issue 11): nothing a
 * frame's schema accepts is refused or altered by the database, and everything the
 * database refuses or alters is refused at the edge with 1001. Generated strings (U+0000,
 * lone and paired surrogates, characters outside the BMP, array-literal syntax, runs
 * around the 1000-character limit) go through the schema of `send_msg` and, independently,
 * through the persister's own insert (`MessageStoreRepository.store`) into the real
 * `message` table; both must agree on every one.
 */

/** The widest limits the config allows (Rule.UsernameLenMax is at most 32). */
const LIMITS: InputLimits = {
  passwordLenMin: 6,
  passwordLenMax: 32,
  usernameLenMin: 1,
  usernameLenMax: 32,
  codeLength: 6,
  defaultPageSize: 10,
  maxPageSize: 200,
};

/** Pieces that make texts hard for a database: NUL, halves of pairs, literal syntax. */
const TRICKY = [
  '\u0000',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ud83d\ude00',
  '\u{10ffff}',
  '\uffff',
  '\u0001',
  '\u007f',
  '\u00a0',
  '"',
  '\\',
  '{',
  '}',
  ',',
  'NULL',
  ' ',
  "'",
  '字',
];

const piece = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  },
  // Long runs, around the 1000-character limit of a text message.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('a', '字', '😀'), fc.integer({ min: 960, max: 1040 }))
      .map(([c, n]) => c.repeat(n)),
  },
);

/** A non-empty string (required strings must be non-empty, docs/api.md §1.2). */
const anyText = fc
  .array(piece, { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join(''))
  .filter((s) => s.length > 0);

/** JSON of any shape whose strings are `anyText`, the raw material of `msg_extend`. */
const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    anyText,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(anyText, tie('json'), { maxKeys: 3 }),
  ),
}));

/** `msg_extend` as a client might send it: mostly the right shape, with anything besides. */
const anyExtend = fc.oneof(
  json,
  fc
    .tuple(
      fc.array(
        fc.oneof(
          fc.record({
            idx: fc.oneof(fc.integer({ min: 1, max: 2000 }), json),
            account_id: fc.oneof(fc.integer({ min: 1, max: MAX_ID }), json),
          }),
          json,
        ),
        { maxLength: 4 },
      ),
      fc.dictionary(anyText, json, { maxKeys: 2 }),
    )
    .map(([remind, extra]) => ({ ...extra, remind })),
);

/** Hundreds of transactions each; PGlite on a busy machine takes its time. */
const PROPERTY_TIMEOUT_MS = 120_000;

const codes = (s: string) => [...s].slice(0, 40).map((c) => c.codePointAt(0)!.toString(16));

describe('the edge refuses exactly what the message table refuses or alters', () => {
  let suite: SuiteDatabase;
  let db: Database;
  let store: MessageStoreRepository;
  let relationId: number;
  let accountId: number;
  const ids = new SnowflakeGenerator({ nodeId: 11 });

  beforeAll(async () => {
    suite = await openSuiteDatabase('persister_edge_storable');
    db = suite.db;
    store = new MessageStoreRepository(db.em);
    const data = new TestData(db.em.fork());
    const [a, b] = [await data.account(), await data.account()];
    relationId = (await data.friendship(a, b)).relation.id;
    accountId = a.id;
  });

  afterAll(async () => {
    await suite?.cleanup();
  });

  /**
   * Stores one text message the way the persister does and reads its row back: `stored`
   * when the database kept exactly what was given. The row is deleted again, so every run
   * leaves the table as it found it.
   */
  async function storeOne(more: Partial<MessageRecord>) {
    const record = messageRecord(ids, relationId, accountId, { msg_content: 'text', ...more });
    const { id } = record;
    const result = await store.store([newMessageRow(record)]);
    const [row] = await db.em
      .fork()
      .execute<{ msg_content: string; client_msg_id: string | null; msg_extend: unknown }[]>(
        'delete from message where id = ? returning msg_content, client_msg_id, msg_extend',
        [id],
      );
    return {
      refused: result.rejected[0]?.sqlState,
      row: row as { msg_content: string; client_msg_id: string | null; msg_extend: unknown },
    };
  }

  const accepts = (schema: z.ZodType, value: unknown) => schema.safeParse(value).success;

  it('shows the hazards are real: the table refuses U+0000 and over-long text, alters a lone surrogate', async () => {
    expect((await storeOne({ msg_content: 'a\u0000b' })).refused).toBe('22021');
    expect((await storeOne({ msg_content: 'x'.repeat(1001) })).refused).toBe('23514');
    expect((await storeOne({ client_msg_id: 'c'.repeat(65) })).refused).toBe('22001');
    const surrogate = await storeOne({ msg_content: 'a\ud800b' });
    expect(surrogate.refused).toBeUndefined();
    expect(surrogate.row.msg_content).toBe('a\ufffdb');
    const jsonb = await storeOne({ msg_extend: { note: 'a\u0000' } as unknown as MsgExtend });
    expect(jsonb.refused).toBe('22P05');
  });

  it(
    'msg_content: the send_msg schema accepts a text iff the table stores it unchanged',
    async () => {
      const schema = sendMsgData.shape.msg_content;
      await fc.assert(
        fc.asyncProperty(anyText, async (s) => {
          const { refused, row } = await storeOne({ msg_content: s });
          const keptExactly = refused === undefined && row.msg_content === s;
          expect({ text: codes(s), length: [...s].length, accepted: accepts(schema, s) }).toEqual({
            text: codes(s),
            length: [...s].length,
            accepted: keptExactly,
          });
        }),
        { numRuns: 400 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'client_msg_id: the send_msg schema accepts an id iff the table stores it unchanged',
    async () => {
      const schema = sendMsgData.shape.client_msg_id;
      const shortText = fc
        .array(
          piece.filter((p) => p.length < 40),
          { minLength: 1, maxLength: 12 },
        )
        .map((parts) => parts.join(''))
        .filter((s) => s.length > 0);
      await fc.assert(
        fc.asyncProperty(fc.oneof(anyText, shortText), async (s) => {
          const { refused, row } = await storeOne({ client_msg_id: s });
          const keptExactly = refused === undefined && row.client_msg_id === s;
          expect({ id: codes(s), accepted: accepts(schema, s) }).toEqual({
            id: codes(s),
            accepted: keptExactly,
          });
        }),
        { numRuns: 300 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'msg_extend: whatever the send_msg schema makes of it, the jsonb column stores unchanged',
    async () => {
      const schema = sendMsgData.shape.msg_extend;
      let storedShapes = 0;
      await fc.assert(
        fc.asyncProperty(anyExtend, async (raw) => {
          const parsed = schema.safeParse(raw);
          if (!parsed.success || parsed.data === undefined) return;
          storedShapes++;
          const { refused, row } = await storeOne({ msg_extend: parsed.data });
          expect(refused).toBeUndefined();
          expect(row.msg_extend).toEqual(parsed.data);
        }),
        { numRuns: 300 },
      );
      // The property saw accepted values, not only refusals.
      expect(storedShapes).toBeGreaterThan(30);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('every REST text field is no longer than the column it is stored in', async () => {
    const account = userAccountSchemas(LIMITS);
    const social = socialSchemas(LIMITS);
    const group = groupSchemas(LIMITS);
    const fields: [string, string, z.ZodType, (n: number) => string][] = [
      ['account', 'name', account.accountCreate.body.shape.name, (n) => 'n'.repeat(n)],
      ['account', 'name', account.accountUpdate.body.shape.name, (n) => 'n'.repeat(n)],
      ['account', 'signature', account.accountCreate.body.shape.signature, (n) => 's'.repeat(n)],
      ['account', 'signature', account.accountUpdate.body.shape.signature, (n) => 's'.repeat(n)],
      [
        'user',
        'email',
        account.register.body.shape.email,
        (n) => `${'e'.repeat(n - 12)}@example.com`,
      ],
      [
        'application',
        'apply_msg',
        social.applicationCreate.body.shape.apply_msg,
        (n) => 'a'.repeat(n),
      ],
      [
        'application',
        'refuse_msg',
        social.applicationRefuse.body.shape.refuse_msg,
        (n) => 'r'.repeat(n),
      ],
      ['setting', 'nick_name', social.updateNickName.body.shape.nick_name, (n) => 'k'.repeat(n)],
      ['relation', 'group_name', group.groupCreate.body.shape.name, (n) => 'g'.repeat(n)],
      ['relation', 'group_name', group.groupUpdate.body.shape.name, (n) => 'g'.repeat(n)],
      [
        'relation',
        'group_description',
        group.groupCreate.body.shape.description,
        (n) => 'd'.repeat(n),
      ],
      [
        'relation',
        'group_description',
        group.groupUpdate.body.shape.description,
        (n) => 'd'.repeat(n),
      ],
      ['message', 'client_msg_id', sendMsgData.shape.client_msg_id, (n) => 'c'.repeat(n)],
    ];
    for (const [table, column, schema, sample] of fields) {
      const [{ width }] = await db.em.fork().execute<{ width: number | null }[]>(
        `select character_maximum_length as width from information_schema.columns
           where table_schema = current_schema() and table_name = ? and column_name = ?`,
        [table, column],
      );
      expect([table, column, width]).toEqual([table, column, expect.any(Number)]);
      expect([table, column, accepts(schema, sample(width! + 1))]).toEqual([table, column, false]);
    }

    // Group notices are text with a check of 1000 characters, like text messages.
    const data = new TestData(db.em.fork());
    const leader = await data.account();
    const { relation } = await data.group(leader);
    const notice = (content: string) =>
      db.em
        .fork()
        .execute(
          'insert into group_notify (relation_id, msg_content, account_id, create_at) values (?, ?, ?, now())',
          [relation.id, content, leader.id],
        )
        .then(
          () => 'stored',
          () => 'refused',
        );
    const content = group.notifyCreate.body.shape.msg_content;
    for (const n of [1000, 1001]) {
      const s = '字'.repeat(n);
      expect([n, accepts(content, s)]).toEqual([n, (await notice(s)) === 'stored']);
    }
    expect(accepts(content, 'a\u0000')).toBe(false);
    expect(await notice('a\u0000')).toBe('refused');
  });
});
