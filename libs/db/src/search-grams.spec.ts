import { contentGrams, escapeLike, normalize, queryGrams } from './search-grams';

describe('normalize', () => {
  it('lower-cases ASCII letters and leaves every other character as it is', () => {
    expect(normalize('Hello WORLD 你好 ÄÉ İ Ω')).toBe('hello world 你好 ÄÉ İ Ω');
  });
});

describe('contentGrams', () => {
  it('holds each distinct character and adjacent pair of a Chinese text once', () => {
    expect(contentGrams('你好你好')).toEqual(['你', '好', '你好', '好你']);
  });

  it('leaves out grams that contain whitespace, including the ideographic space', () => {
    expect(contentGrams('Hi 你\u3000好\n')).toEqual(['h', 'i', '你', '好', 'hi']);
  });

  it('counts a character outside the BMP as one character, not two UTF-16 halves', () => {
    expect(contentGrams('a😀b')).toEqual(['a', '😀', 'b', 'a😀', '😀b']);
  });

  it('is empty for empty or blank content', () => {
    expect(contentGrams('')).toEqual([]);
    expect(contentGrams(' \t\n')).toEqual([]);
  });

  it('contains the grams of every substring of the content', () => {
    const content = 'Meet 明天下午 at 3pm, OK? 😀好的';
    const chars = Array.from(content);
    const grams = new Set(contentGrams(content));
    for (let start = 0; start < chars.length; start++) {
      for (let end = start + 1; end <= chars.length; end++) {
        for (const g of queryGrams(chars.slice(start, end).join(''))) {
          expect(grams.has(g)).toBe(true);
        }
      }
    }
  });
});

describe('queryGrams', () => {
  it('uses the adjacent pairs of a query that has any', () => {
    expect(queryGrams('明天下')).toEqual(['明天', '天下']);
    expect(queryGrams('你好')).toEqual(['你好']);
    expect(queryGrams('Hello')).toEqual(['he', 'el', 'll', 'lo']);
  });

  it('falls back to single characters when no pair is free of whitespace', () => {
    expect(queryGrams('好')).toEqual(['好']);
    expect(queryGrams('a b a')).toEqual(['a', 'b']);
  });

  it('returns no grams for an empty or blank query, which the caller rejects with 1001', () => {
    expect(queryGrams('')).toEqual([]);
    expect(queryGrams('  \u3000 ')).toEqual([]);
  });
});

describe('escapeLike', () => {
  it('escapes the LIKE wildcards and the escape character itself', () => {
    expect(escapeLike('100%_done\\ok')).toBe('100\\%\\_done\\\\ok');
    expect(escapeLike('普通文本')).toBe('普通文本');
  });
});
