import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isValidKey } from './blob-store';
import { contentTypeOf } from './content-types';

/**
 * Serves the objects of a `LocalDiskStore` folder over HTTP, for the api to mount at the
 * path of `publicBaseUrl` (e.g. `/files`; `req.url` is relative to the mount). Only GET and
 * HEAD of an existing object under a valid key; anything else (a folder, a hidden or
 * invalid path, a missing object) goes to `next`, so there is no directory listing and the
 * api's own 404 applies. Uploaded content is never run as a page of the api's origin:
 * `nosniff`, and a sandboxing Content-Security-Policy.
 */
export function serveLocalFiles(dir: string) {
  const root = path.resolve(dir);
  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next();
      const key = keyOf(req.url ?? '/');
      if (key === null) return next();
      const file = path.resolve(root, key);
      if (!file.startsWith(root + path.sep)) return next();
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) return next();
      res.statusCode = 200;
      res.setHeader('Content-Type', contentTypeOf(key));
      res.setHeader('Content-Length', info.size);
      res.setHeader('Last-Modified', info.mtime.toUTCString());
      // Keys are never reused for other content (a replaced avatar gets a new key).
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
      if (req.method === 'HEAD') return void res.end();
      await pipeline(createReadStream(file), res);
    })().catch((err: unknown) => {
      // Headers may be gone already (a client that hung up mid-download): just close.
      if (res.headersSent) res.destroy();
      else next(err);
    });
  };
}

/** The object key a request path names, or null when it cannot be one. */
function keyOf(url: string): string | null {
  const pathname = url.split('?')[0].replace(/^\/+/, '');
  try {
    const key = pathname
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/');
    return isValidKey(key) ? key : null;
  } catch {
    return null;
  }
}
