/**
 * Starts the services the tests need (Postgres, Redis, a Kafka broker), runs the command
 * after `--` with their addresses in the environment, stops what it started and exits with
 * the command's code. `--hold` starts them and waits for Ctrl-C instead.
 *
 *   tsx libs/testing/src/cli/with-services.ts -- nx run-many -t test
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServices } from '../services/services';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const hold = argv.includes('--hold');
  const sep = argv.indexOf('--');
  const command = sep >= 0 ? argv.slice(sep + 1) : [];
  if (!hold && command.length === 0) {
    process.stderr.write('usage: with-services [--hold] [-- command args...]\n');
    return 2;
  }
  const started = Date.now();
  const services = await startServices(process.env);
  process.stderr.write(
    `[services] ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
      `DATABASE_URL=${services.env.DATABASE_URL} REDIS_URL=${services.env.REDIS_URL} ` +
      `KAFKA_BROKERS=${services.env.KAFKA_BROKERS}\n`,
  );
  let code = 0;
  try {
    if (hold) {
      process.stderr.write('[services] holding; Ctrl-C stops them\n');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    } else {
      const summaryDir = mkdtempSync(path.join(os.tmpdir(), 'chat-test-summary-'));
      code = await run(command, {
        ...process.env,
        ...services.env,
        CHAT_TEST_SUMMARY_DIR: summaryDir,
      });
      printSummary(summaryDir, code);
      rmSync(summaryDir, { recursive: true, force: true });
    }
  } finally {
    await services.stop();
  }
  return code;
}

/** One closing line for every Jest project the command ran: `tests: N passed, N failed`. */
function printSummary(dir: string, code: number): void {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  for (const file of files) {
    const one = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as typeof totals;
    totals.passed += one.passed;
    totals.failed += one.failed;
    totals.skipped += one.skipped;
  }
  if (!files.length) return;
  // A failing command with no failed test (a crash, a type error) still counts as a failure.
  const failed = totals.failed || (code === 0 ? 0 : 1);
  process.stdout.write(
    `\n${files.length} test projects\ntests: ${totals.passed} passed, ${failed} failed, ${totals.skipped} skipped\n`,
  );
}

function run(command: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.once('error', (err) => {
      process.stderr.write(`[services] could not run ${command[0]}: ${err.message}\n`);
      resolve(127);
    });
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`[services] ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
