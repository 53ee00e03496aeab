import { storedRecord, type ReplyTarget } from './msg-info';
import { parseRecord, storedRecordSchema } from './record-schemas';
import type { MessageRecord } from './records';

const message: MessageRecord = {
  id: 7193847562240001,
  relation_id: 12,
  notify_type: 'common',
  msg_type: 'file',
  msg_content: 'https://files.example.com/x.png',
  msg_extend: null,
  file_id: 99,
  account_id: 3,
  rly_msg_id: 7193847562240000,
  client_msg_id: null,
  create_at: '2024-05-01T08:30:00.123Z',
  origin: { node: 'gw1', conn: 'c1' },
};
const target: ReplyTarget = {
  id: 7193847562240000,
  msgType: 'text',
  msgContent: 'question',
  msgExtend: { remind: [{ idx: 1, account_id: 4 }] },
  isRevoke: true,
};
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('storedRecordSchema', () => {
  it('reads back every field of what the persister writes', () => {
    const record = storedRecord(message, 3, target);
    expect(parseRecord(storedRecordSchema, bytes(record))).toEqual({ ok: true, value: record });
    const plain = storedRecord({ ...message, origin: undefined }, 1, null);
    expect(parseRecord(storedRecordSchema, bytes(plain))).toMatchObject({ ok: true });
  });

  it.each([
    ['a message without msg_type', { message: { ...message, msg_type: undefined } }],
    ['a message whose content is no string', { message: { ...message, msg_content: 7 } }],
    ['a message with a bad create_at', { message: { ...message, create_at: 'yesterday' } }],
    ['a number of 0', { seq: 0 }],
    [
      'a replied-to message without is_revoke',
      { rly_msg: { msg_id: 1, msg_type: 'text', msg_content: '', msg_extend: null } },
    ],
    ['a replied-to message that is no object', { rly_msg: 'question' }],
  ])('refuses %s', (_case, change) => {
    const record = { ...storedRecord(message, 3, target), ...change };
    expect(parseRecord(storedRecordSchema, bytes(record))).toMatchObject({ ok: false });
  });
});
