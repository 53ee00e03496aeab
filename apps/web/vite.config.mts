import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The standalone server (`npm start`) the dev server hands the api, WebSocket and files to. */
const server = process.env.CHAT_SERVER ?? 'http://localhost:8080';

// The browser app (docs/web.md). Preact's JSX through Vite's own transform (oxc): no plugin.
export default defineConfig({
  root,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: true,
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      '/api': server,
      '/files': server,
      '/dev': server,
      '/ws': { target: server.replace(/^http/, 'ws'), ws: true },
    },
  },
});
