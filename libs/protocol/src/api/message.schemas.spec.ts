import { sendMsgData } from '../ws/frames';
import { isReaction, messageSchemas, REACTION_WORDS } from './message.schemas';

const s = messageSchemas({ defaultPageSize: 10, maxPageSize: 100 } as never);

describe('reactions (docs/features.md, Reactions)', () => {
  it.each([
    '👍',
    '🎉',
    '❤️',
    '👍🏽', // a skin tone: one grapheme
    '🇫🇷', // a flag: two regional indicators, one grapheme
    '👨‍👩‍👧', // a family: joined by ZWJ, one grapheme
    '1️⃣',
    ...REACTION_WORDS,
  ])('takes %s', (emoji) => {
    expect(isReaction(emoji)).toBe(true);
    expect(s.updateReaction.body.safeParse({ id: 1, emoji, state: true }).success).toBe(true);
  });

  it.each(['', 'a', 'abc', 'yes', '👍👍', '👍 ', ' 👍', '1', '#', 'OK', '\u0000', '👍'.repeat(9)])(
    'refuses %j',
    (emoji) => {
      expect(isReaction(emoji)).toBe(false);
      expect(s.updateReaction.body.safeParse({ id: 1, emoji, state: true }).success).toBe(false);
    },
  );

  it('needs a state', () => {
    expect(s.updateReaction.body.safeParse({ id: 1, emoji: '👍' }).success).toBe(false);
  });
});

describe('edit', () => {
  it('takes 1–1000 characters of text', () => {
    expect(s.updateEdit.body.safeParse({ id: 1, msg_content: 'x' }).success).toBe(true);
    expect(s.updateEdit.body.safeParse({ id: 1, msg_content: '' }).success).toBe(false);
    expect(s.updateEdit.body.safeParse({ id: 1, msg_content: 'x'.repeat(1001) }).success).toBe(
      false,
    );
    expect(s.updateEdit.body.safeParse({ msg_content: 'x' }).success).toBe(false);
  });
});

describe('mentions in send_msg', () => {
  const send = (msg_extend: unknown) =>
    sendMsgData.safeParse({ relation_id: 1, msg_content: 'hi', msg_extend });

  it('takes remind entries and an optional all flag', () => {
    expect(send({ remind: [{ idx: 1, account_id: 2 }] }).success).toBe(true);
    expect(send({ remind: [], all: true }).success).toBe(true);
  });

  it('refuses a non-boolean all, a bad index or account, and more than 100 entries', () => {
    expect(send({ remind: [], all: 'yes' }).success).toBe(false);
    expect(send({ remind: [{ idx: 0, account_id: 2 }] }).success).toBe(false);
    expect(send({ remind: [{ idx: 1, account_id: 0 }] }).success).toBe(false);
    const many = Array.from({ length: 101 }, (_, i) => ({ idx: i + 1, account_id: 2 }));
    expect(send({ remind: many }).success).toBe(false);
  });
});
