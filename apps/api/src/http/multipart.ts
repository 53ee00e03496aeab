import type { Request, Response } from 'express';
import multer, { MulterError, type StorageEngine } from 'multer';
import { detectImageType, IMAGE_SNIFF_BYTES } from '@chat/domain';
import { AppError, ErrorCode, InvalidInputError, unstorableText } from '@chat/protocol';
import type { UploadSpec, UploadedFile } from './route';

/** Bounds on the text part of a form: a few short fields, never a second body. */
const FORM_LIMITS = { fields: 20, fieldNameSize: 100, fieldSize: 16 * 1024, parts: 22 };

const notAnImage = () => new InvalidInputError('file: must be a JPEG, PNG, GIF or WebP image');
const tooLarge = (limit: number) =>
  new AppError(ErrorCode.FileTooLarge, `file too large (at most ${limit} bytes)`);

/**
 * A multer storage engine that keeps the file in memory and enforces the route's limits
 * while the bytes arrive (docs/api.md §1.5, docs/pitfalls.md §21): once the first bytes show
 * what the file is (by content, never by name or MIME type), the limit for that kind
 * applies; before that, the larger of the two. It stops buffering at the first byte past
 * a limit; multer then drains the rest of the request and answers.
 */
function limitedMemoryStorage(spec: UploadSpec): StorageEngine {
  const limitOf = (kind: 'img' | 'file') =>
    kind === 'img' ? spec.maxImageBytes : spec.maxFileBytes;
  return {
    _handleFile(_req, file, cb) {
      const stream = file.stream;
      const chunks: Buffer[] = [];
      let size = 0;
      let kind: 'img' | 'file' | undefined;
      let settled = false;

      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        stream.off('data', onData);
        stream.off('end', onEnd);
        chunks.length = 0;
        stream.resume();
        cb(err);
      };
      /** Classifies once enough bytes (or the whole file) arrived; false when it failed. */
      const judge = (final: boolean): boolean => {
        if (kind || (size < IMAGE_SNIFF_BYTES && !final)) return true;
        kind = detectImageType(Buffer.concat(chunks)) ? 'img' : 'file';
        if (spec.accept === 'image' && kind !== 'img') {
          fail(notAnImage());
          return false;
        }
        return true;
      };
      function onData(chunk: Buffer) {
        size += chunk.length;
        chunks.push(chunk);
        if (!judge(false)) return;
        const limit = kind ? limitOf(kind) : Math.max(spec.maxImageBytes, spec.maxFileBytes);
        if (size > limit) fail(tooLarge(limit));
      }
      function onEnd() {
        if (settled || !judge(true)) return;
        const limit = limitOf(kind!);
        if (size > limit) return fail(tooLarge(limit));
        settled = true;
        const info = { buffer: Buffer.concat(chunks, size), size, kind };
        cb(null, info as Partial<Express.Multer.File>);
      }
      stream.on('data', onData);
      stream.on('end', onEnd);
    },
    _removeFile(_req, file, cb) {
      (file as Partial<Express.Multer.File>).buffer = undefined;
      cb(null);
    },
  };
}

/** multer and busboy failures as replies: the engine's own errors pass, the rest are 1001. */
function toAppError(err: unknown, spec: UploadSpec): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof MulterError) {
    if (err.code === 'LIMIT_UNEXPECTED_FILE' || err.code === 'LIMIT_FILE_COUNT') {
      return new InvalidInputError(
        `${spec.field}: send exactly one file, in the field "${spec.field}"`,
      );
    }
    return new InvalidInputError(`body: ${err.message.toLowerCase()}`);
  }
  // busboy: no boundary, a cut-off or malformed body.
  return new InvalidInputError('body: malformed multipart/form-data');
}

/**
 * Reads a multipart request for a route: its text fields land in `req.body`, its file is
 * returned, read whole within the limits of `spec`. 1001 when the request is not
 * multipart or carries no file; 8004 past a size limit.
 */
export function multipartReader(spec: UploadSpec) {
  const parse = multer({
    storage: limitedMemoryStorage(spec),
    // No `fileSize` for busboy: the engine enforces every size limit itself. busboy's own
    // limit could fire before the engine saw the first bytes, answering 8004 for a
    // non-image that must get 1001 (docs/api.md §12).
    limits: { ...FORM_LIMITS, files: 1 },
    // Browsers send UTF-8 file names without declaring a charset; busboy assumes latin1.
    defParamCharset: 'utf8',
  }).single(spec.field);

  return async (req: Request, res: Response): Promise<UploadedFile> => {
    if (!req.is('multipart/form-data')) {
      throw new InvalidInputError('body: must be multipart/form-data');
    }
    await new Promise<void>((resolve, reject) =>
      parse(req, res, (err?: unknown) => (err ? reject(toAppError(err, spec)) : resolve())),
    );
    const file = req.file as (Express.Multer.File & { kind: 'img' | 'file' }) | undefined;
    if (!file) throw new InvalidInputError(`${spec.field}: is required`);
    // The name is stored as the file's `file_name`: refused here, like every request text,
    // if the database could not store it as sent.
    const badName = unstorableText(file.originalname);
    if (badName) throw new InvalidInputError(`${spec.field}: its file name ${badName}`);
    return {
      name: file.originalname,
      size: file.size,
      mimetype: file.mimetype,
      kind: file.kind,
      buffer: file.buffer,
    };
  };
}
