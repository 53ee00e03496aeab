import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';

/** Where `nx run web:bundle` writes the browser app (apps/web, docs/web.md). */
export const DEFAULT_WEB_DIR = path.resolve(__dirname, '../../web/dist');

/** Paths the api and the gateway own: never answered with the web app. */
const SERVER_PATHS = /^\/(api|ws|files|healthz|readyz|metrics|dev)(\/|$)/;

const NOT_BUILT = `<!doctype html>
<meta charset="utf-8">
<title>chat: web app not built</title>
<h1>The web app is not built</h1>
<p>Build it with <code>npx nx run web:bundle</code> (<code>npm start</code> does this before it
starts the server), then reload this page. The REST api is at <a href="/api/docs/">/api/docs</a>,
the WebSocket at <code>/ws</code>.</p>
`;

/**
 * Serves the web app's build at `/` (docs/web.md): its files, and `index.html` for every
 * other page load (a GET accepting text/html) outside the server's own paths, so the app's
 * routes survive a reload. Hashed assets are cached for good; `index.html` is revalidated
 * each time. Without a build, `/` says how to make one. Returns whether a build was found.
 */
export function serveWebApp(app: Express, dir: string): boolean {
  const index = path.join(dir, 'index.html');
  app.use(
    '/assets',
    express.static(path.join(dir, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
      fallthrough: true,
    }),
  );
  app.use(express.static(dir, { index: false, maxAge: 0 }));
  app.get(/.*/, (req, res, next) => {
    if (SERVER_PATHS.test(req.path) || req.path.startsWith('/assets/')) return next();
    // Page loads only (a browser asks for text/html): other clients keep the api's 404.
    if (!(req.get('accept') ?? '').includes('text/html')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    // Looked up each time: a build made while the server runs is served at once.
    if (existsSync(index)) return void res.sendFile(index);
    res.status(503).type('html').send(NOT_BUILT);
  });
  return existsSync(index);
}
