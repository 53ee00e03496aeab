import { spawn } from 'node:child_process';
import path from 'node:path';
import { STDOUT_STALL_LIMIT_MS } from './stdout-destination';

const FIXTURE = path.join(__dirname, 'fixtures/log-and-exit.ts');
const LINES = 2000; // about 2 MB: far more than a pipe holds (64 KB)

function runFixture(stdout: 'pipe' | NodeJS.WritableStream) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, LINES: String(LINES) },
    stdio: ['ignore', stdout as 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | string; ms: number }>((resolve) => {
    const t0 = Date.now();
    child.once('exit', (code, signal) =>
      resolve({ code: code ?? signal ?? '?', ms: Date.now() - t0 }),
    );
  });
  return { child, exited };
}

describe('stdoutDestination', () => {
  it('delivers every line to a reader that keeps up', async () => {
    const { child, exited } = runFixture('pipe');
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise((r) => child.stdout!.once('close', r));
    const { code } = await exited;
    await closed;
    expect(code).toBe(0);
    const indexes = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).i as number);
    expect(indexes).toEqual(Array.from({ length: LINES }, (_, i) => i));
  }, 60_000);

  it('lets the process exit when standard output is never read', async () => {
    // The pipe's read end is held by a process that never reads it: writes are refused
    // once the pipe is full, and the exit flush must give up rather than wait forever.
    const sink = spawn('sleep', ['120'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      const { child, exited } = runFixture(sink.stdin!);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const { code, ms } = await exited;
      clearTimeout(timer);
      expect(code).toBe(0);
      // Start-up of tsx plus one stall limit, not the 30 s of the SIGKILL above.
      expect(ms).toBeLessThan(STDOUT_STALL_LIMIT_MS + 15_000);
    } finally {
      sink.kill('SIGKILL');
    }
  }, 60_000);
});
