import { MsgInfoWithRlyOut, type StoredRecord } from '@chat/protocol';
import { newMsgInfo } from './msg-info';

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

describe('newMsgInfo', () => {
  it('is a valid MsgInfoWithRly of a new message (docs/api.md §3, docs/protocol.md §4)', () => {
    const info = newMsgInfo(stored());
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
    const system = newMsgInfo({
      ...base,
      message: { ...base.message, notify_type: 'system', account_id: null },
      rly_msg: null,
    });
    expect(system).toMatchObject({ account_id: 0, rly_msg: null });
    const file = newMsgInfo({
      ...base,
      message: { ...base.message, msg_type: 'file', file_id: 99, msg_content: 'https://f/x.png' },
    });
    expect(file).toMatchObject({ file_id: 99, msg_type: 'file', msg_content: 'https://f/x.png' });
  });

  it('blanks a revoked replied-to message', () => {
    const info = newMsgInfo(
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
