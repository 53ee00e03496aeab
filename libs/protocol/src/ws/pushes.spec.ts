import { z } from 'zod';
import { PUSH_EVENTS, type PushEventName } from '../events';
import { storedMsgInfo } from '../msg-info';
import { CLIENT_EVENTS, type ClientEvent } from './frames';
import { PUSH_DATA, REPLY_DATA, RETRY_LATER_DATA, type PushData, type ReplyData } from './pushes';

/**
 * One payload per push as the servers build it (libs/domain services, the notifier's plans,
 * the gateway's frames); typed by `PushData`, so a push added to PUSH_EVENTS without a
 * sample here fails to compile.
 */
const SAMPLES: PushData = {
  send_msg: {
    msg_info: storedMsgInfo({
      message: {
        id: 7193847562240001,
        relation_id: 12,
        notify_type: 'common',
        msg_type: 'text',
        msg_content: 'hello',
        msg_extend: null,
        file_id: null,
        account_id: 3,
        rly_msg_id: 0,
        client_msg_id: 'c-1',
        create_at: '2024-05-01T08:30:00.123Z',
        origin: { node: 'gw1', conn: 'c1' },
      },
      seq: 5,
      rly_msg: null,
    }),
  },
  read_msg: {
    relation_id: 12,
    reader_id: 4,
    msg_ids: [7193847562240001],
    last_read_msg_id: 7193847562240001,
  },
  account_login: { address: '127.0.0.1:53122' },
  account_logout: { address: '127.0.0.1:53122' },
  update_account: { account_id: 3, name: 'alice', gender: '女', signature: 'hi', avatar: '' },
  application: {
    account1_id: 3,
    account2_id: 4,
    apply_msg: 'hi',
    refuse_msg: '',
    status: '已申请',
    create_at: '2024-05-01T08:30:00.123Z',
    update_at: '2024-05-01T08:30:00.123Z',
    name: 'alice',
    avatar: '',
  },
  delete_relation: { relation_id: 12 },
  update_nickname: { relation_id: 12, nick_name: 'al' },
  update_setting_state: { type: 'not_disturb', relation_id: 12, state: true },
  update_email: { email: 'new@example.com' },
  update_msg_state: { relation_id: 12, type: 'revoke', msg_id: 7193847562240001, state: true },
  group_transferred: { relation_id: 20, account_id: 4 },
  group_dissolved: { relation_id: 20 },
  group_new_account: { relation_id: 20, account_id: 5 },
  group_quit_account: { relation_id: 20, account_id: 5 },
  create_notify: {
    id: 9,
    relation_id: 20,
    account_id: 3,
    msg_content: 'meeting at 5',
    msg_extent: { remind: [{ idx: 1, account_id: 4 }] },
    create_at: '2024-05-01T08:30:00.123Z',
  },
  update_notify: {
    id: 9,
    relation_id: 20,
    account_id: 0,
    msg_content: 'meeting at 6',
    msg_extent: null,
    create_at: '2024-05-01T08:30:00.123Z',
  },
  error: { status_code: 2013, status_msg: 'token expired' },
  typing: { relation_id: 12, account_id: 3, state: true },
  presence: { account_id: 4, online: false, last_seen: '2024-05-01T08:30:00.123Z' },
  edit_msg: {
    relation_id: 12,
    msg_id: 7193847562240001,
    msg_content: 'hello again',
    edit_at: '2024-05-01T08:31:00.000Z',
  },
  msg_reaction: {
    relation_id: 12,
    msg_id: 7193847562240001,
    account_id: 4,
    emoji: '👍',
    state: true,
    count: 1,
  },
};

const REPLIES: ReplyData = {
  auth: { account_id: 3, expired_at: '2024-05-02T08:30:00.000Z' },
  send_msg: { msg_id: 7193847562240001, create_at: '2024-05-01T08:30:00.123Z' },
  read_msg: { last_read_msg_id: 7193847562240001 },
  ping: { server_time: '2024-05-01T08:30:00.123Z' },
  typing: { forwarded: true },
  presence_subscribe: {
    presences: [{ account_id: 4, online: true, last_seen: '2024-05-01T08:30:00.123Z' }],
  },
  presence_unsubscribe: { watching: 0 },
  presence_hidden: { hidden: true },
};

/** The schema's keys, for a check that it names every field of the payload. */
function keysOf(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape).sort() : [];
}

describe('PUSH_DATA (docs/protocol.md §4)', () => {
  const events = Object.values(PUSH_EVENTS);

  it('has a schema for every push event and nothing else', () => {
    expect(Object.keys(PUSH_DATA).sort()).toEqual([...events].sort());
  });

  it.each(events)('parses a %s payload as the server builds it, unchanged', (event) => {
    const sample = SAMPLES[event as PushEventName];
    const schema = PUSH_DATA[event as PushEventName];
    expect(schema.parse(sample)).toEqual(sample);
    // Every field of the payload is in the schema (parsing would drop one that is not).
    expect(keysOf(schema)).toEqual(Object.keys(sample).sort());
  });

  it.each(events)('refuses a %s payload with a required field missing', (event) => {
    const sample = SAMPLES[event as PushEventName] as Record<string, unknown>;
    for (const key of Object.keys(sample)) {
      const { [key]: _dropped, ...rest } = sample;
      expect(PUSH_DATA[event as PushEventName].safeParse(rest).success).toBe(false);
    }
  });

  it('refuses values of the wrong kind', () => {
    expect(
      PUSH_DATA.update_setting_state.safeParse({ ...SAMPLES.update_setting_state, type: 'top' })
        .success,
    ).toBe(false);
    expect(
      PUSH_DATA.update_msg_state.safeParse({ ...SAMPLES.update_msg_state, state: 'yes' }).success,
    ).toBe(false);
    expect(PUSH_DATA.read_msg.safeParse({ ...SAMPLES.read_msg, msg_ids: ['1'] }).success).toBe(
      false,
    );
    expect(
      PUSH_DATA.application.safeParse({ ...SAMPLES.application, status: 'pending' }).success,
    ).toBe(false);
  });
});

describe('REPLY_DATA (docs/protocol.md §2.1, §3)', () => {
  it.each(CLIENT_EVENTS)('parses the %s reply data unchanged', (event) => {
    const sample = REPLIES[event as ClientEvent];
    expect(REPLY_DATA[event as ClientEvent].parse(sample)).toEqual(sample);
    expect(keysOf(REPLY_DATA[event as ClientEvent])).toEqual(Object.keys(sample).sort());
  });

  it('parses the retry hint of a 1004', () => {
    expect(RETRY_LATER_DATA.parse({ retry_after_ms: 250 })).toEqual({ retry_after_ms: 250 });
    expect(RETRY_LATER_DATA.safeParse({}).success).toBe(false);
  });
});
