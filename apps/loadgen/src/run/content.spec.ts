import { decodeContent, encodeContent } from './content';

describe('message content', () => {
  it('carries sender, sequence number and send time, padded to the size asked', () => {
    const stamp = { sender: 17, seq: 4242, sentAtUs: 1_714_552_200_123_456 };
    const text = encodeContent('ab12cd34', stamp, 200);
    expect(text).toHaveLength(200);
    expect(decodeContent('ab12cd34', text)).toEqual(stamp);
  });

  it('is never cut below the stamp', () => {
    const stamp = { sender: 1, seq: 2, sentAtUs: 3 };
    const text = encodeContent('r', stamp, 1);
    expect(decodeContent('r', text)).toEqual(stamp);
  });

  it('ignores texts of other runs and other senders', () => {
    const text = encodeContent('run1', { sender: 1, seq: 2, sentAtUs: 3 }, 64);
    expect(decodeContent('run2', text)).toBeUndefined();
    expect(decodeContent('run1', '成为好友')).toBeUndefined();
    expect(decodeContent('run1', 'lg:run1:x:1:2:')).toBeUndefined();
    expect(decodeContent('run1', 'lg:run1:1:2')).toBeUndefined();
  });
});
