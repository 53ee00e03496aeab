/** Image formats recognised by their leading bytes (docs/api.md §11 step 3, §12). */
export type ImageType = 'jpeg' | 'png' | 'gif' | 'webp';

/** Leading bytes that `detectImageType` needs to tell every format apart. */
export const IMAGE_SNIFF_BYTES = 12;

export const IMAGE_CONTENT_TYPES: Readonly<Record<ImageType, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
};

export const IMAGE_EXTENSIONS: Readonly<Record<ImageType, string>> = {
  jpeg: '.jpg',
  png: '.png',
  gif: '.gif',
  webp: '.webp',
};

const startsWith = (head: Buffer, bytes: number[], at = 0): boolean =>
  head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/**
 * The image format of a file judged by its content, never by its name or the client's
 * MIME type: JPEG (`FF D8 FF`, every JPEG flavour), PNG (its 8-byte signature), GIF
 * (`GIF87a`/`GIF89a`), WebP (`RIFF` … `WEBP`). Null for anything else, including bodies
 * too short to hold a signature (docs/pitfalls.md §21: short files are not an error).
 */
export function detectImageType(head: Buffer): ImageType | null {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'gif';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'webp';
  return null;
}
