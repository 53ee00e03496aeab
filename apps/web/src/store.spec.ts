import { preview } from './format';
import { mergeMessages, Store, unionIds, type Message } from './store';

const msg = (id: number, more: Partial<Message> = {}): Message =>
  ({
    id,
    notify_type: 'common',
    msg_type: 'text',
    msg_content: `m${id}`,
    msg_extend: null,
    file_id: 0,
    account_id: 1,
    relation_id: 7,
    create_at: '2026-01-01T00:00:00.000Z',
    is_revoke: false,
    is_top: false,
    is_pin: false,
    pin_time: '2026-01-01T00:00:00.000Z',
    read_ids: [],
    reply_count: 0,
    seq: id,
    rly_msg: null,
    ...more,
  }) as Message;

describe('the web app state', () => {
  it('merges messages by id in id order, a later copy winning but keeping known readers', () => {
    const merged = mergeMessages(
      [msg(3, { read_ids: [9] }), msg(1)],
      [msg(2), msg(3, { is_pin: true, read_ids: [] })],
    );
    expect(merged.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(merged[2]).toMatchObject({ is_pin: true, read_ids: [9] });
    const same = [msg(1)];
    expect(mergeMessages(same, [])).toBe(same);
  });

  it('unites reader lists, null meaning unknown', () => {
    expect(unionIds(null, [2])).toEqual([2]);
    expect(unionIds([3, 1], null)).toEqual([3, 1]);
    expect(unionIds([3, 1], [2, 3])).toEqual([1, 2, 3]);
  });

  it('replaces its state on each change and tells subscribers', () => {
    const store = new Store();
    const seen: number[] = [];
    const before = store.state;
    const off = store.subscribe(() => seen.push(store.state.openId));
    store.set({ openId: 5 });
    store.set((s) => ({ openId: s.openId + 1 }));
    off();
    store.set({ openId: 9 });
    expect(seen).toEqual([5, 6]);
    expect(before.openId).toBe(0);
    // A conversation that is not listed is left alone.
    store.updateConversation(1, () => ({ unread: 3 }));
    expect(store.state.conversations).toEqual({});
  });

  it('previews revoked, file, image and system messages in words', () => {
    expect(preview(msg(1, { is_revoke: true, msg_content: '' }))).toBe('Message revoked');
    expect(preview(msg(1, { msg_type: 'file', msg_content: 'http://x/files/a.PNG' }))).toBe(
      '[image]',
    );
    expect(preview(msg(1, { msg_type: 'file', msg_content: 'http://x/files/a.pdf' }))).toBe(
      '[file]',
    );
    expect(preview(msg(1, { notify_type: 'system', msg_content: '成为好友' }))).toBe(
      'You are now friends',
    );
    expect(preview(msg(1, { notify_type: 'system', msg_content: '12置顶了一条消息' }))).toBe(
      'Account 12 set the top message',
    );
  });
});
