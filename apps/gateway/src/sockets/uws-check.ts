/**
 * `node dist/uws-check.js` (the gateway image's build runs it; `npx tsx
 * apps/gateway/src/sockets/uws-check.ts` here): loads uWebSockets.js as the gateway does and
 * exits 0 naming the native binary it loaded, or 1 when the package fell back to its
 * JavaScript stand-in. A package whose loader throws instead (no binary and no fallback)
 * stops this file at its import, also with exit code 1.
 */
import { UwsFallbackError, requireNativeUws } from './uws-build';

try {
  const build = requireNativeUws();
  process.stdout.write(`uws: native ${build.binary}, ${build.runtime}\n`);
} catch (err) {
  process.stderr.write(`uws: ${err instanceof UwsFallbackError ? err.message : String(err)}\n`);
  process.exit(1);
}
