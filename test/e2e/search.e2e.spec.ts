import { ErrorCode } from '@chat/protocol';
import { waitFor } from '@chat/testing';
import { ok, type Reply } from './support/http';
import { offSpellings } from './support/ids';
import { openSession, type Session } from './support/session';
import { closeEach, connectEach } from './support/sockets';
import { startTargetStack, type TargetStack } from './support/target';
import type { TestSocket } from './support/socket';

/** BriefMsgInfo of docs/api.md §3: what a search answers for each message found. */
interface Found {
  id: number;
  notify_type: 'common' | 'system';
  msg_type: 'text' | 'file';
  msg_content: string;
  msg_extend: unknown;
  file_id: number;
  account_id: number;
  relation_id: number;
  create_at: string;
}

interface Sent {
  id: number;
  relation: number;
  sender: Session;
}

/**
 * Message search, `GET /api/msg/list/content` (docs/api.md §11, docs/data-model.md §3), end to
 * end: messages sent over WebSocket, stored by the persister, indexed by the indexer (a consumer
 * group of its own in the persister process, so starting the persister starts it), then found
 * over REST, on the distributed apps and on the standalone server.
 *
 * Four people. Friendships ann–bob, ann–cat, ann–dan, bob–cat; groups `trio` (ann leads, bob
 * and cat), `plans` (bob leads, ann and cat), `pair` (bob leads, cat). Every message is sent
 * in the order written below, one at a time, so a later one is newer.
 */
describe('message search end to end', () => {
  let stack: TargetStack;
  let ann: Session;
  let bob: Session;
  let cat: Session;
  let dan: Session;
  const sockets = new Map<Session, TestSocket>();
  let annBob: number;
  let annDan: number;
  let bobCat: number;
  let trio: number;
  let plans: number;
  let pair: number;
  /** Every text message sent, by its content (each content is sent once). */
  const sent = new Map<string, Sent>();
  /** The file message uploaded to ann–bob: its stored content is a URL ending in `.hiking`. */
  let fileMessage: { id: number; msg_content: string };

  async function send(sender: Session, relation: number, content: string): Promise<void> {
    const ack = await sockets.get(sender)!.request('send_msg', {
      relation_id: relation,
      msg_content: content,
    });
    if (ack.status_code !== 0) throw new Error(`send_msg ${content}: ${ack.status_msg}`);
    sent.set(content, { id: ack.data.msg_id, relation, sender });
  }

  /** The ids of the sent messages with these contents, in the order given. */
  const idsOf = (...contents: string[]) =>
    contents.map((c) => {
      const message = sent.get(c);
      if (!message) throw new Error(`not sent: ${c}`);
      return message.id;
    });

  const search = (who: Session, query: Record<string, string | number>): Promise<Reply> =>
    who.api.get('/api/msg/list/content', { token: who.accountToken, query });

  /** What `who` finds for `content` in one page of 200, as ids in the order answered. */
  async function idsFound(who: Session, content: string, relation?: number): Promise<number[]> {
    const query: Record<string, string | number> = { content, page_size: 200 };
    if (relation !== undefined) query.relation_id = relation;
    const r = ok(await search(who, query));
    expect(r.total).toBe(r.list.length);
    return r.list.map((m: Found) => m.id);
  }

  beforeAll(async () => {
    // Messages go one after the other, faster than a person would send them.
    stack = await startTargetStack(
      'e2e_search',
      { GATEWAY_FRAMES_PER_SECOND: '0' },
      { gateways: 1, workers: true },
    );
    [ann, bob, cat, dan] = await Promise.all([
      openSession(stack, 'ann.search@example.com', 'ann'),
      openSession(stack, 'bob.search@example.com', 'bob'),
      openSession(stack, 'cat.search@example.com', 'cat'),
      openSession(stack, 'dan.search@example.com', 'dan'),
    ]);
    annBob = await ann.befriend(bob);
    await ann.befriend(cat);
    annDan = await ann.befriend(dan);
    bobCat = await bob.befriend(cat);
    trio = await ann.createGroup('trio', [bob, cat]);
    plans = await bob.createGroup('plans', [ann, cat]);
    pair = await bob.createGroup('pair', [cat]);
    await connectEach(stack, [ann, bob, cat, dan], sockets);

    // Chinese.
    await send(ann, annBob, '今天天气很好');
    await send(bob, annBob, '天气预报');
    await send(cat, trio, '明天见');
    // English.
    await send(bob, annBob, 'Hello World');
    await send(ann, annBob, 'worldwide news');
    await send(ann, trio, 'hello there');
    await send(cat, trio, 'say HELLO again');
    await send(bob, trio, 'Shell output');
    await send(cat, trio, 'café au lait');
    await send(bob, annBob, 'CAFÉ MENU');
    // Chinese and English in one text.
    await send(bob, trio, '周末去hiking吗');
    await send(bob, annBob, 'iPhone很好用');
    await send(ann, trio, '晚安😀');
    // LIKE's special characters. Each decoy holds every gram of the query beside it and a
    // text the query would match if its character were read as a wildcard or an escape:
    // "1000" for `100%`, "eXc" for `e_c`, "C:t" for `C:\t` (`\t` escapes the t).
    await send(ann, annBob, '100% sure');
    await send(ann, annBob, '1000 ways to say 0% fat');
    await send(ann, annBob, 'snake_case');
    await send(ann, annBob, 'snakeXcase, snake_ and _case');
    await send(ann, annBob, 'C:\\temp');
    await send(ann, annBob, 'C:temp, not C:\\ or \\t');
    // Paging.
    await send(ann, annBob, 'paging item 1');
    await send(cat, trio, 'paging item 2');
    await send(bob, annBob, 'paging item 3');
    await send(ann, trio, 'paging item 4');
    await send(bob, trio, 'paging item 5');
    // Conversations ann is in, will leave, or never was in.
    await send(bob, plans, '秘密计划 in plans');
    await send(ann, annDan, '秘密计划 from ann to dan');
    await send(dan, annDan, '秘密计划 from dan');
    await send(bob, bobCat, '秘密计划 bob to cat');
    await send(bob, pair, '秘密计划 in pair');
    // To be revoked.
    await send(bob, annBob, '撤回这句话');

    // A file message whose URL keeps the name's extension: `hiking` would match it if file
    // messages were indexed (docs/data-model.md §3 says they are not).
    const form = new FormData();
    form.set('relation_id', String(annBob));
    form.set(
      'file',
      new Blob([Buffer.from('a pair of boots')], { type: 'text/plain' }),
      'b.hiking',
    );
    const uploaded = (await (
      await fetch(new URL('/api/msg/file', ann.api.baseUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${ann.accountToken}` },
        body: form,
      })
    ).json()) as Reply<{ id: number; msg_content: string }>;
    fileMessage = ok(uploaded);
    await waitFor(
      async () => {
        const history = ok(
          await ann.api.post('/api/msg/sync', {
            token: ann.accountToken,
            body: { relations: [{ relation_id: annBob, after_seq: 0 }], limit: 500 },
          }),
        );
        return history.list[0].messages.some((m: { id: number }) => m.id === fileMessage.id);
      },
      { timeoutMs: 20_000, what: 'the file message stored' },
    );
    // Stored after the file message, in the same conversation: the indexer takes a
    // conversation's messages in the order they were stored, so once this one is searchable
    // the file message has been passed over.
    await send(ann, annBob, 'after the file');

    // The index is written a moment after a message is stored.
    for (const [content, { id, relation, sender }] of sent) {
      await waitFor(async () => (await idsFound(sender, content, relation)).includes(id), {
        timeoutMs: 20_000,
        what: `"${content}" searchable`,
      });
    }
  }, 240_000);

  afterAll(async () => {
    await closeEach(sockets);
    await stack?.stop();
  });

  it('answers BriefMsgInfo for each message found, with the total', async () => {
    const r = ok(await search(ann, { content: '天气预报' }));
    expect(r).toEqual({
      list: [
        {
          id: idsOf('天气预报')[0],
          notify_type: 'common',
          msg_type: 'text',
          msg_content: '天气预报',
          msg_extend: null,
          file_id: 0,
          account_id: bob.accountId,
          relation_id: annBob,
          create_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        },
      ],
      total: 1,
    });
  });

  it('finds Chinese one- and two-character queries as substrings, newest first', async () => {
    expect(await idsFound(ann, '天')).toEqual(idsOf('明天见', '天气预报', '今天天气很好'));
    expect(await idsFound(ann, '预')).toEqual(idsOf('天气预报'));
    expect(await idsFound(ann, '天气')).toEqual(idsOf('天气预报', '今天天气很好'));
    expect(await idsFound(ann, '明天')).toEqual(idsOf('明天见'));
    expect(await idsFound(ann, '天见')).toEqual(idsOf('明天见'));
    expect(await idsFound(ann, '天气很好')).toEqual(idsOf('今天天气很好'));
    expect(await idsFound(ann, '今天天气很好')).toEqual(idsOf('今天天气很好'));
    // The characters must be adjacent and in this order.
    expect(await idsFound(ann, '气天')).toEqual([]);
    expect(await idsFound(ann, '今气')).toEqual([]);
    expect(await idsFound(ann, '后天')).toEqual([]);
    // The dates agree with the order: newest first.
    const { list } = ok(await search(ann, { content: '天' }));
    const times = list.map((m: Found) => Date.parse(m.create_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('finds English words and parts of words, whatever the case of A–Z', async () => {
    const hello = idsOf('say HELLO again', 'hello there', 'Hello World');
    expect(await idsFound(ann, 'hello')).toEqual(hello);
    expect(await idsFound(ann, 'HELLO')).toEqual(hello);
    expect(await idsFound(ann, 'HeLLo')).toEqual(hello);
    // A prefix, and a part of a word: "Shell" holds "hel".
    expect(await idsFound(ann, 'hel')).toEqual(
      idsOf('Shell output', 'say HELLO again', 'hello there', 'Hello World'),
    );
    expect(await idsFound(ann, 'wor')).toEqual(idsOf('worldwide news', 'Hello World'));
    expect(await idsFound(ann, 'World')).toEqual(idsOf('worldwide news', 'Hello World'));
    expect(await idsFound(ann, 'news')).toEqual(idsOf('worldwide news'));
    expect(await idsFound(ann, 'SHELL')).toEqual(idsOf('Shell output'));
    // Across a space, as written.
    expect(await idsFound(ann, 'hello world')).toEqual(idsOf('Hello World'));
    expect(await idsFound(ann, 'o w')).toEqual(idsOf('Hello World'));
    expect(await idsFound(ann, 'world news')).toEqual([]);
    expect(await idsFound(ann, 'helloworld')).toEqual([]);
    // Only A–Z fold: É and é are different letters (docs/data-model.md §3).
    expect(await idsFound(ann, 'Café')).toEqual(idsOf('café au lait'));
    expect(await idsFound(ann, 'CAFÉ')).toEqual(idsOf('CAFÉ MENU'));
    expect(await idsFound(ann, 'menu')).toEqual(idsOf('CAFÉ MENU'));
  });

  it('finds mixed Chinese and English text and emoji, and never a file message', async () => {
    expect(await idsFound(ann, 'hiking')).toEqual(idsOf('周末去hiking吗'));
    expect(await idsFound(ann, '去hi')).toEqual(idsOf('周末去hiking吗'));
    expect(await idsFound(ann, 'HIKING吗')).toEqual(idsOf('周末去hiking吗'));
    expect(await idsFound(ann, 'iphone')).toEqual(idsOf('iPhone很好用'));
    expect(await idsFound(ann, 'PHONE很')).toEqual(idsOf('iPhone很好用'));
    expect(await idsFound(ann, '很好')).toEqual(idsOf('iPhone很好用', '今天天气很好'));
    // A character outside the BMP is one character, alone or beside another.
    expect(await idsFound(ann, '😀')).toEqual(idsOf('晚安😀'));
    expect(await idsFound(ann, '安😀')).toEqual(idsOf('晚安😀'));
    // The file message's content holds `hiking` too: it is not searchable.
    expect(fileMessage.msg_content).toMatch(/\.hiking$/);
    expect(await idsFound(ann, '.hiking')).toEqual([]);
  });

  it('takes %, _ and \\ in a query literally', async () => {
    expect(await idsFound(ann, '%')).toEqual(idsOf('1000 ways to say 0% fat', '100% sure'));
    expect(await idsFound(ann, '100%')).toEqual(idsOf('100% sure'));
    expect(await idsFound(ann, '0%')).toEqual(idsOf('1000 ways to say 0% fat', '100% sure'));
    expect(await idsFound(ann, '%%')).toEqual([]);
    expect(await idsFound(ann, '_')).toEqual(idsOf('snakeXcase, snake_ and _case', 'snake_case'));
    expect(await idsFound(ann, 'e_c')).toEqual(idsOf('snake_case'));
    expect(await idsFound(ann, 'E_C')).toEqual(idsOf('snake_case'));
    expect(await idsFound(ann, '\\')).toEqual(idsOf('C:temp, not C:\\ or \\t', 'C:\\temp'));
    expect(await idsFound(ann, 'C:\\t')).toEqual(idsOf('C:\\temp'));
    expect(await idsFound(ann, '\\\\')).toEqual([]);
  });

  it('does not find a revoked message', async () => {
    const [revoked] = idsOf('撤回这句话');
    expect(await idsFound(ann, '撤回')).toEqual([revoked]);
    ok(
      await bob.api.put('/api/msg/update/revoke', {
        token: bob.accountToken,
        body: { id: revoked },
      }),
    );
    for (const who of [ann, bob]) {
      expect(await idsFound(who, '撤回')).toEqual([]);
      expect(await idsFound(who, '这句话', annBob)).toEqual([]);
    }
  });

  it('pages newest first, total counting every match, in every conversation or one', async () => {
    const all = idsOf(
      'paging item 5',
      'paging item 4',
      'paging item 3',
      'paging item 2',
      'paging item 1',
    );
    const page = async (query: Record<string, string | number>) => {
      const r = ok(await search(ann, { content: 'paging item', ...query }));
      return { ids: r.list.map((m: Found) => m.id), total: r.total };
    };
    expect(await page({ page: 1, page_size: 2 })).toEqual({ ids: all.slice(0, 2), total: 5 });
    expect(await page({ page: 2, page_size: 2 })).toEqual({ ids: all.slice(2, 4), total: 5 });
    expect(await page({ page: 3, page_size: 2 })).toEqual({ ids: all.slice(4), total: 5 });
    expect(await page({ page: 4, page_size: 2 })).toEqual({ ids: [], total: 5 });
    // Without paging: page 1 of Page.DefaultPageSize (10); bad paging falls back to it.
    expect(await page({})).toEqual({ ids: all, total: 5 });
    expect(await page({ page: 0, page_size: 'x' })).toEqual({ ids: all, total: 5 });
    // In one conversation.
    const inTrio = idsOf('paging item 5', 'paging item 4', 'paging item 2');
    expect(await page({ relation_id: trio, page: 1, page_size: 2 })).toEqual({
      ids: inTrio.slice(0, 2),
      total: 3,
    });
    expect(await page({ relation_id: trio, page: 2, page_size: 2 })).toEqual({
      ids: inTrio.slice(2),
      total: 3,
    });
    expect(await page({ relation_id: annBob })).toEqual({
      ids: idsOf('paging item 3', 'paging item 1'),
      total: 2,
    });
  });

  it('takes relation_id as an id; absent, empty or 0 means every conversation', async () => {
    const everywhere = idsOf('明天见', '天气预报', '今天天气很好');
    for (const none of ['', '0']) {
      const r = ok(await search(ann, { content: '天', relation_id: none }));
      expect(r.list.map((m: Found) => m.id)).toEqual(everywhere);
    }
    expect(await idsFound(ann, '天', trio)).toEqual(idsOf('明天见'));
    const digits = ok(await search(ann, { content: '天', relation_id: String(annBob) }));
    expect(digits.list.map((m: Found) => m.id)).toEqual(idsOf('天气预报', '今天天气很好'));
    for (const spelling of offSpellings(trio).filter((s) => s !== '' && s !== '0')) {
      const r = await search(ann, { content: '天', relation_id: spelling });
      expect([spelling, r.status_code, r.status_msg]).toEqual([
        spelling,
        ErrorCode.InvalidParams,
        expect.stringMatching(/^parameters not valid: relation_id: /),
      ]);
    }
    // A query with nothing but whitespace would match every message: refused.
    for (const content of [' ', ' \t ', '\u3000', '']) {
      expect((await search(ann, { content })).status_code).toBe(ErrorCode.InvalidParams);
    }
  });

  it('never finds messages of conversations the caller is not in', async () => {
    expect(await idsFound(ann, '秘密计划')).toEqual(
      idsOf('秘密计划 from dan', '秘密计划 from ann to dan', '秘密计划 in plans'),
    );
    expect(await idsFound(cat, '秘密计划')).toEqual(
      idsOf('秘密计划 in pair', '秘密计划 bob to cat', '秘密计划 in plans'),
    );
    expect(await idsFound(dan, '秘密计划')).toEqual(
      idsOf('秘密计划 from dan', '秘密计划 from ann to dan'),
    );
    // Naming a conversation one is not in is refused, not answered with its messages.
    for (const relation of [bobCat, pair]) {
      const r = await search(ann, { content: '秘密计划', relation_id: relation });
      expect([relation, r.status_code, r.data]).toEqual([
        relation,
        ErrorCode.PermissionDenied,
        undefined,
      ]);
    }
    expect((await search(dan, { content: '天', relation_id: annBob })).status_code).toBe(
      ErrorCode.PermissionDenied,
    );
    expect(await idsFound(dan, '天')).toEqual([]);
  });

  it('no longer finds messages of a group the caller quit or a friend it deleted', async () => {
    ok(
      await ann.api.post('/api/group/quit', {
        token: ann.accountToken,
        body: { relation_id: plans },
      }),
    );
    ok(
      await ann.api.delete('/api/setting/friend/delete', {
        token: ann.accountToken,
        body: { relation_id: annDan },
      }),
    );
    expect(await idsFound(ann, '秘密计划')).toEqual([]);
    for (const relation of [plans, annDan]) {
      const r = await search(ann, { content: '秘密计划', relation_id: relation });
      expect([relation, r.status_code]).toEqual([relation, ErrorCode.PermissionDenied]);
    }
    // The group's message stays for its members; the friendship's went with it, for both.
    expect(await idsFound(cat, '秘密计划')).toEqual(
      idsOf('秘密计划 in pair', '秘密计划 bob to cat', '秘密计划 in plans'),
    );
    expect(await idsFound(dan, '秘密计划')).toEqual([]);
    // What ann still belongs to is still found.
    expect(await idsFound(ann, '天')).toEqual(idsOf('明天见', '天气预报', '今天天气很好'));
  });
});
