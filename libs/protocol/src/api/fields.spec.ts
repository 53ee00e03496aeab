import { z } from 'zod';
import { msgExtend } from '../ws/frames';
import {
  email,
  id,
  ID_DIGITS,
  MAX_ID,
  optionalQueryId,
  paging,
  queryId,
  storableString,
  text,
  unstorableText,
} from './fields';

describe('request fields', () => {
  it('counts string length in code points, not UTF-16 units', () => {
    const name = text(1, 3);
    expect(name.safeParse('😀😀😀').success).toBe(true);
    expect(name.safeParse('😀😀😀😀').success).toBe(false);
    expect(name.safeParse('').error?.issues[0].message).toBe('must not be empty');
  });

  it('refuses what PostgreSQL cannot store exactly: U+0000 and lone surrogates', () => {
    const content = text(1, 1000);
    for (const bad of ['a\u0000b', '\u0000', 'x\ud800', '\udc00y', '\ude00\ud83d']) {
      expect(content.safeParse(bad).success).toBe(false);
      expect(storableString().safeParse(bad).success).toBe(false);
      expect(unstorableText(bad)).toBeDefined();
    }
    expect(content.safeParse('a\u0000b').error?.issues[0].message).toBe(
      'must not contain the character U+0000',
    );
    expect(content.safeParse('x\ud800').error?.issues[0].message).toMatch(/lone UTF-16 surrogate/);
    // A surrogate pair is one well-formed code point; other control characters are text.
    for (const good of [
      '😀',
      '\ud83d\ude00',
      'tab\there',
      '\u0001\u007f',
      '\uffff',
      '\u{10ffff}',
    ]) {
      expect(content.safeParse(good).success).toBe(true);
      expect(unstorableText(good)).toBeUndefined();
    }
    expect(email.safeParse('a\u0000@example.com').success).toBe(false);
  });

  it('counts the length limit as PostgreSQL counts characters (code points)', () => {
    const content = text(1, 1000);
    expect(content.safeParse('字'.repeat(1000)).success).toBe(true);
    expect(content.safeParse('😀'.repeat(1000)).success).toBe(true);
    expect(content.safeParse('😀'.repeat(1001)).error?.issues[0].message).toBe(
      'must be at most 1000 characters (got 1001)',
    );
  });

  it('keeps no string in msg_extend, so its jsonb column has none to refuse', () => {
    const parsed = msgExtend.parse({
      remind: [{ idx: 1, account_id: 7, note: 'x\u0000' }],
      text: 'bad\u0000',
    });
    expect(parsed).toEqual({ remind: [{ idx: 1, account_id: 7 }] });
    expect(msgExtend.safeParse({ remind: [{ idx: 2 ** 53, account_id: 7 }] }).success).toBe(false);
  });

  it('accepts ids from 1 to 2^53 − 1 only', () => {
    expect(id.safeParse(1).success).toBe(true);
    expect(id.safeParse(Number.MAX_SAFE_INTEGER).success).toBe(true);
    expect(id.safeParse(0).success).toBe(false);
    expect(id.safeParse(2 ** 53).success).toBe(false);
    expect(id.safeParse(1.5).success).toBe(false);
    expect(id.safeParse('3').success).toBe(false);
  });

  describe('ids that may come from the query string (queryId, docs/api.md §1.2)', () => {
    const parse = (v: unknown) => z.object({ account_id: queryId }).safeParse({ account_id: v });

    it.each([
      ['1', 1],
      ['5', 5],
      ['42', 42],
      ['1000', 1000],
      ['9007199254740991', MAX_ID],
      [1, 1],
      [42, 42],
      [MAX_ID, MAX_ID],
    ])('accepts %j as %d', (input, expected) => {
      expect(parse(input)).toEqual({ success: true, data: { account_id: expected } });
    });

    it.each([
      ['0', 'must be an integer id'],
      ['05', 'must be an integer id'],
      ['00', 'must be an integer id'],
      ['-1', 'must be an integer id'],
      ['+5', 'must be an integer id'],
      ['5.0', 'must be an integer id'],
      ['5.', 'must be an integer id'],
      ['.5', 'must be an integer id'],
      ['1e3', 'must be an integer id'],
      ['0x10', 'must be an integer id'],
      [' 5', 'must be an integer id'],
      ['5 ', 'must be an integer id'],
      ['5\n', 'must be an integer id'],
      ['1_000', 'must be an integer id'],
      ['1,000', 'must be an integer id'],
      ['５', 'must be an integer id'],
      ['٥', 'must be an integer id'],
      ['', 'must be an integer id'],
      ['abc', 'must be an integer id'],
      ['Infinity', 'must be an integer id'],
      ['9007199254740992', 'must be a safe integer id'],
      ['9999999999999999', 'must be a safe integer id'],
      ['18446744073709551615', 'must be an integer id'],
      ['99999999999999999999', 'must be an integer id'],
      [0, 'must be an id ≥ 1'],
      [-1, 'must be an id ≥ 1'],
      [1.5, 'must be an integer id'],
      [2 ** 53, 'must be a safe integer id'],
      [null, 'must be an integer id'],
      [true, 'must be an integer id'],
      [[5], 'must be an integer id'],
      [{ id: 5 }, 'must be an integer id'],
      [undefined, 'is required'],
    ])('refuses %j (%s)', (input, message) => {
      const result = parse(input);
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((i) => i.message)).toContain(message);
      expect(result.error?.issues.every((i) => i.path[0] === 'account_id')).toBe(true);
    });

    it('ID_DIGITS: one spelling per id, 1–16 digits without a leading zero', () => {
      for (const s of ['1', '9', '10', '123456789', '9007199254740991']) {
        expect(ID_DIGITS.test(s)).toBe(true);
      }
      for (const s of ['0', '01', '-1', '+1', '1.0', '1e3', ' 1', '12345678901234567']) {
        expect(ID_DIGITS.test(s)).toBe(false);
      }
    });
  });

  describe('optional ids (optionalQueryId): 0 means none', () => {
    const scope = z.object({ relation_id: optionalQueryId('must be a group id, or 0 for none') });
    const parse = (input: Record<string, unknown>) => scope.safeParse(input);

    it.each([
      [{}, 0],
      [{ relation_id: undefined }, 0],
      [{ relation_id: null }, 0],
      [{ relation_id: '' }, 0],
      [{ relation_id: '0' }, 0],
      [{ relation_id: 0 }, 0],
      [{ relation_id: '7' }, 7],
      [{ relation_id: 7 }, 7],
      [{ relation_id: String(MAX_ID) }, MAX_ID],
    ])('reads %j as %d', (input, expected) => {
      expect(parse(input)).toEqual({ success: true, data: { relation_id: expected } });
    });

    it.each(['00', '07', '-1', '-0', '+7', '7.0', '1e3', ' 7', 'x', '9007199254740992', -1, 1.5])(
      'refuses %j',
      (value) => {
        const result = parse({ relation_id: value });
        expect(result.success).toBe(false);
        expect(result.error?.issues[0].path).toEqual(['relation_id']);
      },
    );

    it('words a refusal with what 0 stands for', () => {
      expect(parse({ relation_id: '07' }).error?.issues[0].message).toBe(
        'must be a group id, or 0 for none',
      );
    });
  });

  it('checks email syntax and its 50-character limit', () => {
    expect(email.safeParse('a@example.com').success).toBe(true);
    expect(email.safeParse('not-an-email').success).toBe(false);
    expect(email.safeParse(`${'a'.repeat(40)}@example.com`).success).toBe(false);
  });

  it('pages leniently: bad values fall back, large sizes are clamped', () => {
    const p = paging(10, 200);
    expect(p.parse({})).toEqual({ page: 1, page_size: 10 });
    expect(p.parse({ page: '0', page_size: 'x' })).toEqual({ page: 1, page_size: 10 });
    expect(p.parse({ page: '3', page_size: '500' })).toEqual({ page: 3, page_size: 200 });
    expect(p.parse({ page: -2, page_size: 20 })).toEqual({ page: 1, page_size: 20 });
  });

  it('clamps the page so its row offset stays a safe integer (a bigint in SQL)', () => {
    for (const max of [200, 5000]) {
      const { page, page_size } = paging(10, max).parse({
        page: String(MAX_ID),
        page_size: String(max),
      });
      expect(Number.isSafeInteger((page - 1) * page_size)).toBe(true);
      expect(page).toBeGreaterThan(1000);
    }
  });

  it('names the failing field in the issue path', () => {
    const r = z.object({ email }).safeParse({ email: 5 });
    expect(r.error?.issues[0].path).toEqual(['email']);
  });
});
