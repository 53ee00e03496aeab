import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Express, Response } from 'express';
import { escapeHtml } from '@chat/mail';

/** One mail of the dev mailbox as `/dev/mailbox.json` lists it. */
export interface DevMail {
  file: string;
  to: string;
  subject: string;
  date: string;
  /** The verification code the mail carries, if it is one (docs/api.md §6). */
  code: string | null;
  text: string;
}

/** The newest mails listed, at most. */
const LIST_LIMIT = 50;

/**
 * The dev mailbox in the browser (docs/web.md): `GET /dev/mailbox` (a page) and
 * `GET /dev/mailbox.json` (`?to=` keeps the mails to one address) list the newest mails the
 * dev mail adapter wrote under `<App.DataDir>/mailbox`, each with its verification code.
 * Mounted only while the server has no SMTP server configured: with SMTP, codes reach real
 * inboxes and these paths do not exist.
 */
export function serveDevMailbox(app: Express, dir: string): void {
  app.get('/dev/mailbox.json', async (req, res, next) => {
    try {
      const to = typeof req.query.to === 'string' ? req.query.to : undefined;
      noStore(res).json({ mails: await listMails(dir, to) });
    } catch (err) {
      next(err);
    }
  });
  app.get('/dev/mailbox', async (req, res, next) => {
    try {
      const to = typeof req.query.to === 'string' ? req.query.to : undefined;
      noStore(res)
        .type('html')
        .send(page(await listMails(dir, to), to));
    } catch (err) {
      next(err);
    }
  });
}

function noStore(res: Response): Response {
  return res.setHeader('Cache-Control', 'no-store');
}

/** The newest mails first; those to `to` only (compared case-insensitively) when given. */
export async function listMails(dir: string, to?: string): Promise<DevMail[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.eml'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  // The dev mailbox names files by time, then send order: the names sort as the mails were sent.
  names.sort().reverse();
  const wanted = to?.trim().toLowerCase();
  const mails: DevMail[] = [];
  for (const name of names) {
    if (mails.length >= LIST_LIMIT) break;
    const mail = parseMail(name, await readFile(path.join(dir, name), 'utf8'));
    if (wanted && !mail.to.toLowerCase().includes(wanted)) continue;
    mails.push(mail);
  }
  return mails;
}

/** Enough of RFC 5322 and MIME to read what the dev mailbox writes: headers and the text part. */
export function parseMail(file: string, raw: string): DevMail {
  const source = raw.replace(/\r\n/g, '\n');
  const split = source.indexOf('\n\n');
  const head = split < 0 ? source : source.slice(0, split);
  const headers = headerMap(head);
  const text = textPart(headers, split < 0 ? '' : source.slice(split + 2));
  const code = /verification code is:\s*(\d{4,10})/.exec(text)?.[1] ?? null;
  return {
    file,
    to: headers.get('to') ?? '',
    subject: decodeWords(headers.get('subject') ?? ''),
    date: headers.get('date') ?? '',
    code,
    text,
  };
}

function headerMap(head: string): Map<string, string> {
  const map = new Map<string, string>();
  // Folded lines continue the header above them.
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) map.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return map;
}

/** The `text/plain` body: the whole body of a single-part mail, else the first such part. */
function textPart(headers: Map<string, string>, body: string): string {
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) return decodeBody(body, headers.get('content-transfer-encoding'));
  for (const part of body.split(`--${boundary}`)) {
    const split = part.indexOf('\n\n');
    if (split < 0) continue;
    const partHeaders = headerMap(part.slice(0, split).replace(/^\n/, ''));
    const partType = partHeaders.get('content-type') ?? '';
    if (partType.startsWith('multipart/')) {
      const inner = textPart(partHeaders, part.slice(split + 2));
      if (inner) return inner;
    } else if (partType.startsWith('text/plain')) {
      return decodeBody(part.slice(split + 2), partHeaders.get('content-transfer-encoding'));
    }
  }
  return '';
}

function decodeBody(body: string, encoding: string | undefined): string {
  const kind = encoding?.toLowerCase();
  if (kind === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (kind === 'quoted-printable') {
    const bytes = body
      .replace(/=\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8').trimEnd();
  }
  return body.trimEnd();
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`) in a header. */
function decodeWords(value: string): string {
  // Space between two encoded words is not part of the text.
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset, kind: string, data) => {
      if (kind.toUpperCase() === 'B') return Buffer.from(data, 'base64').toString('utf8');
      const bytes = String(data)
        .replace(/_/g, ' ')
        .replace(/=([0-9A-Fa-f]{2})/g, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    });
}

function page(mails: DevMail[], to: string | undefined): string {
  const rows = mails
    .map(
      (mail) => `<article data-testid="dev-mail">
  <header><strong data-testid="dev-mail-to">${escapeHtml(mail.to)}</strong>
  <small>${escapeHtml(mail.date)}</small></header>
  <p>${escapeHtml(mail.subject)}</p>
  ${mail.code ? `<p class="code" data-testid="dev-mail-code">${escapeHtml(mail.code)}</p>` : ''}
  <details><summary>text</summary><pre>${escapeHtml(mail.text)}</pre></details>
</article>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dev mailbox</title>
<style>
body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;color:#222}
article{border:1px solid #ccc;border-radius:.5rem;padding:.75rem;margin:.75rem 0}
.code{font-size:1.6rem;font-weight:bold;letter-spacing:.3rem;font-family:monospace}
small{color:#666;margin-left:.5rem}
</style></head><body>
<h1>Dev mailbox</h1>
<p>The server has no SMTP server configured, so the mails it sends are written here
(<code>&lt;data dir&gt;/mailbox/*.eml</code>). Newest first${to ? `, to ${escapeHtml(to)} only (<a href="/dev/mailbox">all</a>)` : ''}.
<a href="">Reload</a> · <a href="/">Back to the chat</a></p>
${rows || '<p data-testid="dev-mail-empty">No mail yet.</p>'}
</body></html>
`;
}
