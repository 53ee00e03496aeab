import { detectImageType } from './file-kind';

const bytes = (...b: (number | string)[]) =>
  Buffer.concat(
    b.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from([x]))),
  );

describe('detectImageType', () => {
  it.each([
    ['JPEG/JFIF', bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'JFIF'), 'jpeg'],
    ['JPEG/Exif', bytes(0xff, 0xd8, 0xff, 0xe1, 0x12, 0x34, 'Exif'), 'jpeg'],
    ['JPEG of 3 bytes', bytes(0xff, 0xd8, 0xff), 'jpeg'],
    ['PNG', bytes(0x89, 'PNG\r\n', 0x1a, '\n', 0, 0, 0, 0x0d), 'png'],
    ['GIF87a', bytes('GIF87a', 1, 0), 'gif'],
    ['GIF89a', bytes('GIF89a', 1, 0), 'gif'],
    ['WebP', bytes('RIFF', 0x24, 0, 0, 0, 'WEBPVP8 '), 'webp'],
  ])('recognises %s by its leading bytes', (_name, head, type) => {
    expect(detectImageType(head)).toBe(type);
  });

  it.each([
    ['an empty file', Buffer.alloc(0)],
    ['a short text', Buffer.from('hi')],
    ['a PDF', Buffer.from('%PDF-1.7\n')],
    ['a RIFF that is not WebP (WAV)', bytes('RIFF', 0x24, 0, 0, 0, 'WAVEfmt ')],
    ['a truncated PNG signature', bytes(0x89, 'PNG')],
    ['a GIF-like text', Buffer.from('GIF88a')],
  ])('answers null for %s', (_name, head) => {
    expect(detectImageType(head)).toBeNull();
  });
});
