// Container health probe: `node healthcheck.cjs <url> [timeoutMs]` exits 0 when GET <url>
// answers 2xx within the timeout (default 3000 ms), else 1. The runtime image has no curl
// or wget; node is already there.
const http = require('node:http');

const url = process.argv[2];
const timeoutMs = Number(process.argv[3] ?? 3000);
if (!url) {
  process.stderr.write('usage: node healthcheck.cjs <url> [timeoutMs]\n');
  process.exit(2);
}

const req = http.get(url, { timeout: timeoutMs }, (res) => {
  res.resume();
  const code = res.statusCode ?? 0;
  process.exit(code >= 200 && code < 300 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
req.on('error', (err) => {
  process.stderr.write(`healthcheck: ${url}: ${err.message}\n`);
  process.exit(1);
});
