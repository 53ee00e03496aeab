import { z } from 'zod';
import { email, id, paging, queryId, text } from './fields';

describe('request fields', () => {
  it('counts string length in code points, not UTF-16 units', () => {
    const name = text(1, 3);
    expect(name.safeParse('😀😀😀').success).toBe(true);
    expect(name.safeParse('😀😀😀😀').success).toBe(false);
    expect(name.safeParse('').error?.issues[0].message).toBe('must not be empty');
  });

  it('accepts ids from 1 to 2^53 − 1 only', () => {
    expect(id.safeParse(1).success).toBe(true);
    expect(id.safeParse(Number.MAX_SAFE_INTEGER).success).toBe(true);
    expect(id.safeParse(0).success).toBe(false);
    expect(id.safeParse(2 ** 53).success).toBe(false);
    expect(id.safeParse(1.5).success).toBe(false);
    expect(id.safeParse('3').success).toBe(false);
  });

  it('reads ids from the query string as numbers', () => {
    expect(queryId.parse('42')).toBe(42);
    expect(queryId.safeParse('4x').success).toBe(false);
    expect(queryId.safeParse('9007199254740992').success).toBe(false);
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

  it('names the failing field in the issue path', () => {
    const r = z.object({ email }).safeParse({ email: 5 });
    expect(r.error?.issues[0].path).toEqual(['email']);
  });
});
