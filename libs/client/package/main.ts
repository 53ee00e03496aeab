import { buildPackage } from './build';

/** `nx run client:package`: builds libs/client/dist and prints its sizes. */
async function main(): Promise<void> {
  const result = await buildPackage();
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  process.stdout.write(
    `${result.outDir}: index.js ${kib(result.bytes)}, minified ${kib(result.minifiedBytes)}, ` +
      `minified + gzip ${kib(result.minifiedGzipBytes)} (${result.minifiedGzipBytes} bytes)\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
