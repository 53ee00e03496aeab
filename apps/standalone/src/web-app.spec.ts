import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import nodemailer from 'nodemailer';
import { listMails, parseMail, serveDevMailbox } from './dev-mailbox-page';
import { serveWebApp } from './web-app';

/**
 * The web app's static serving and the dev mailbox page (docs/web.md) on a bare express app,
 * as the standalone server mounts them after the api's routes.
 */
describe('web app and dev mailbox routes', () => {
  let dir: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'standalone-web-'));
    const app = express();
    app.get('/api/ping', (_req, res) => void res.json({ status_code: 0 }));
    serveDevMailbox(app, path.join(dir, 'mailbox'));
    serveWebApp(app, path.join(dir, 'web'));
    // The api's 404, as it follows these routes in the real server.
    app.use((_req, res) => void res.status(404).json({ status_code: 1002 }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const html = { headers: { accept: 'text/html' } };

  it('says how to build the app while there is no build, then serves the build at once', async () => {
    const missing = await fetch(`${base}/`, html);
    expect(missing.status).toBe(503);
    expect(await missing.text()).toContain('nx run web:bundle');

    await mkdir(path.join(dir, 'web/assets'), { recursive: true });
    await writeFile(path.join(dir, 'web/index.html'), '<!doctype html><title>chat</title>');
    await writeFile(path.join(dir, 'web/assets/app-1234.js'), 'console.log(1)');

    const index = await fetch(`${base}/`, html);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>chat</title>');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    // An app route survives a reload: index.html again.
    const route = await fetch(`${base}/conversations/12`, html);
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>chat</title>');
    const asset = await fetch(`${base}/assets/app-1234.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('leaves the server paths and missing assets to the 404 answer', async () => {
    for (const route of ['/api/nothing', '/ws', '/files/x', '/dev/other', '/assets/gone.js']) {
      const res = await fetch(`${base}${route}`, html);
      expect({ route, status: res.status }).toEqual({ route, status: 404 });
      expect(await res.json()).toEqual({ status_code: 1002 });
    }
    expect((await fetch(`${base}/api/ping`)).status).toBe(200);
    // Not a page load (no text/html asked for): an unknown path is the api's 404.
    const plain = await fetch(`${base}/conversations/12`);
    expect(plain.status).toBe(404);
  });

  it('lists the dev mailbox newest first with each code, as JSON and as a page', async () => {
    expect(await (await fetch(`${base}/dev/mailbox.json`)).json()).toEqual({ mails: [] });
    const mailbox = path.join(dir, 'mailbox');
    await mkdir(mailbox, { recursive: true });
    await writeFile(
      path.join(mailbox, '2026-01-01T00-00-00-000Z-000001-aaaaaa.eml'),
      await mime('a@example.com', '012345'),
    );
    await writeFile(
      path.join(mailbox, '2026-01-01T00-00-01-000Z-000002-bbbbbb.eml'),
      await mime('b@example.com', '987654'),
    );
    await writeFile(path.join(mailbox, 'half-written.eml.part'), 'To: c@example.com');

    const all = (await (await fetch(`${base}/dev/mailbox.json`)).json()) as { mails: any[] };
    expect(all.mails.map((m) => [m.to, m.code])).toEqual([
      ['b@example.com', '987654'],
      ['a@example.com', '012345'],
    ]);
    const one = (await (await fetch(`${base}/dev/mailbox.json?to=A@example.com`)).json()) as {
      mails: any[];
    };
    expect(one.mails.map((m) => m.code)).toEqual(['012345']);

    const page = await fetch(`${base}/dev/mailbox?to=b@example.com`);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const text = await page.text();
    expect(text).toContain('data-testid="dev-mail-code">987654<');
    expect(text).not.toContain('012345');
  });

  it('reads the mails nodemailer writes, encoded subjects and quoted-printable bodies included', async () => {
    const raw = await mime('ü@example.com', '000111', 'Your chat verification code — ümlaut');
    const mail = parseMail('x.eml', raw);
    expect(mail).toMatchObject({
      to: 'ü@example.com',
      code: '000111',
      subject: 'Your chat verification code — ümlaut',
    });
    expect(await listMails(path.join(dir, 'no-such-folder'))).toEqual([]);
  });
});

/** A verification mail as the dev mailbox writes it (nodemailer's MIME, text and HTML). */
async function mime(
  to: string,
  code: string,
  subject = 'Your chat verification code',
): Promise<string> {
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  const info = await transport.sendMail({
    from: 'chat <no-reply@example.com>',
    to,
    subject,
    text: `Your chat verification code is:\n\n    ${code}\n\nIt is valid for 60 minutes and can be used once. ${'Long line. '.repeat(12)}`,
    html: `<p>Your code is <b>${code}</b></p>`,
  });
  return (info.message as Buffer).toString('utf8');
}
