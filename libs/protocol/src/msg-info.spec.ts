import { BriefMsgInfoOut, MsgInfoOut, MsgInfoWithRlyOut } from './api/message.schemas';
import {
  briefMsgInfo,
  msgInfo,
  msgInfoWithRly,
  storedMsgInfo,
  storedRecord,
  type MessageWithReply,
} from './msg-info';
import type { MessageRecord, StoredRecord } from './records';

const stored = (more: Partial<StoredRecord> = {}): StoredRecord => ({
  message: {
    id: 7193847562240001,
    relation_id: 12,
    notify_type: 'common',
    msg_type: 'text',
    msg_content: 'hello',
    msg_extend: { remind: [{ idx: 1, account_id: 4 }] },
    file_id: null,
    account_id: 3,
    rly_msg_id: 7193847562240000,
    client_msg_id: 'c-1',
    create_at: '2024-05-01T08:30:00.123Z',
    origin: { node: 'gw1', conn: 'c1' },
  },
  seq: 5,
  rly_msg: {
    msg_id: 7193847562240000,
    msg_type: 'text',
    msg_content: 'question',
    msg_extend: null,
    is_revoke: false,
  },
  ...more,
});

describe('storedMsgInfo', () => {
  it('is a valid MsgInfoWithRly of a new message (docs/api.md §3, docs/protocol.md §4)', () => {
    const info = storedMsgInfo(stored());
    expect(MsgInfoWithRlyOut.parse(info)).toEqual(info);
    expect(info).toMatchObject({
      id: 7193847562240001,
      is_revoke: false,
      is_top: false,
      is_pin: false,
      pin_time: '2024-05-01T08:30:00.123Z',
      read_ids: [],
      reply_count: 0,
      file_id: 0,
      account_id: 3,
      seq: 5,
      rly_msg: { msg_id: 7193847562240000, msg_content: 'question' },
    });
    expect(info).not.toHaveProperty('client_msg_id');
    expect(info).not.toHaveProperty('origin');
  });

  it('shows 0 as the sender of a system message and the file id of a file message', () => {
    const base = stored();
    const system = storedMsgInfo({
      ...base,
      message: { ...base.message, notify_type: 'system', account_id: null },
      rly_msg: null,
    });
    expect(system).toMatchObject({ account_id: 0, rly_msg: null });
    const file = storedMsgInfo({
      ...base,
      message: { ...base.message, msg_type: 'file', file_id: 99, msg_content: 'https://f/x.png' },
    });
    expect(file).toMatchObject({ file_id: 99, msg_type: 'file', msg_content: 'https://f/x.png' });
  });

  it('blanks a revoked replied-to message', () => {
    const info = storedMsgInfo(
      stored({
        rly_msg: {
          msg_id: 1,
          msg_type: 'text',
          msg_content: 'secret',
          msg_extend: { remind: [] },
          is_revoke: true,
        },
      }),
    );
    expect(info.rly_msg).toEqual({
      msg_id: 1,
      msg_type: 'text',
      msg_content: '',
      msg_extend: null,
      is_revoke: true,
    });
  });
});

/** A stored message as history reads it (the row shape of `MessageQueryRepository`). */
const row = (more: Partial<MessageWithReply> = {}): MessageWithReply => ({
  id: 7193847562240001,
  relationId: 12,
  notifyType: 'common',
  msgType: 'text',
  msgContent: 'hello',
  msgExtend: { remind: [{ idx: 1, account_id: 4 }] },
  fileId: null,
  accountId: 3,
  createAt: new Date('2024-05-01T08:30:00.123Z'),
  isRevoke: false,
  isTop: false,
  isPin: false,
  pinTime: new Date('2024-05-01T08:30:00.123Z'),
  seq: 5,
  readIds: [],
  replyCount: 0,
  editAt: null,
  mentionedMe: false,
  reactions: [],
  rly: {
    id: 7193847562240000,
    msgType: 'text',
    msgContent: 'question',
    msgExtend: null,
    isRevoke: false,
  },
  ...more,
});

describe('msgInfoWithRly', () => {
  it('is a valid MsgInfoWithRly with the fields in the order of docs/api.md §3', () => {
    const info = msgInfoWithRly(
      row({ isTop: true, readIds: [4, 9], replyCount: 2, pinTime: new Date(1_714_600_000_000) }),
    );
    expect(MsgInfoWithRlyOut.parse(info)).toEqual(info);
    expect(JSON.stringify(info)).toBe(
      JSON.stringify({
        id: 7193847562240001,
        notify_type: 'common',
        msg_type: 'text',
        msg_content: 'hello',
        msg_extend: { remind: [{ idx: 1, account_id: 4 }] },
        file_id: 0,
        account_id: 3,
        relation_id: 12,
        create_at: '2024-05-01T08:30:00.123Z',
        is_revoke: false,
        is_top: true,
        is_pin: false,
        pin_time: '2024-05-01T21:46:40.000Z',
        read_ids: [4, 9],
        reply_count: 2,
        seq: 5,
        edit_at: null,
        mentioned_me: false,
        reactions: [],
        rly_msg: {
          msg_id: 7193847562240000,
          msg_type: 'text',
          msg_content: 'question',
          msg_extend: null,
          is_revoke: false,
        },
      }),
    );
  });

  it('blanks a revoked message and a revoked replied-to message; shows null read_ids as null', () => {
    const info = msgInfoWithRly(
      row({
        isRevoke: true,
        readIds: null,
        seq: null,
        rly: { id: 1, msgType: 'file', msgContent: 'https://f/x', msgExtend: null, isRevoke: true },
      }),
    );
    expect(info).toMatchObject({
      msg_content: '',
      msg_extend: null,
      is_revoke: true,
      read_ids: null,
      seq: 0,
      rly_msg: { msg_id: 1, msg_type: 'file', msg_content: '', msg_extend: null, is_revoke: true },
    });
    expect(msgInfoWithRly(row({ rly: null })).rly_msg).toBeNull();
  });

  it('leaves out rly_msg in MsgInfo, and the state in BriefMsgInfo', () => {
    const info = msgInfo(row());
    expect(MsgInfoOut.strict().parse(info)).toEqual(info);
    const brief = briefMsgInfo(row({ isRevoke: true }));
    expect(BriefMsgInfoOut.strict().parse(brief)).toEqual(brief);
    expect(brief).toMatchObject({ msg_content: '', msg_extend: null });
  });
});

describe('storedRecord and storedMsgInfo', () => {
  const message: MessageRecord = {
    id: 7193847562240001,
    relation_id: 12,
    notify_type: 'common',
    msg_type: 'text',
    msg_content: 'hello',
    msg_extend: { remind: [{ idx: 1, account_id: 4 }] },
    file_id: null,
    account_id: 3,
    rly_msg_id: 7193847562240000,
    client_msg_id: 'c-1',
    create_at: '2024-05-01T08:30:00.123Z',
  };

  it('carries the replied-to message unblanked; the push blanks it as history would', () => {
    const target = {
      id: 1,
      msgType: 'text',
      msgContent: 'secret',
      msgExtend: null,
      isRevoke: true,
    } as const;
    const record = storedRecord(message, 5, target);
    expect(record.rly_msg).toEqual({
      msg_id: 1,
      msg_type: 'text',
      msg_content: 'secret',
      msg_extend: null,
      is_revoke: true,
    });
    expect(storedMsgInfo(record).rly_msg).toEqual(msgInfoWithRly(row({ rly: target })).rly_msg);
  });

  it('pushes, byte for byte, what history shows its sender right after it is stored', () => {
    const target = row().rly;
    const pushed = storedMsgInfo(JSON.parse(JSON.stringify(storedRecord(message, 5, target))));
    expect(JSON.stringify(pushed)).toBe(JSON.stringify(msgInfoWithRly(row())));
    expect(storedMsgInfo(storedRecord(message, 5, null)).rly_msg).toBeNull();
  });
});
