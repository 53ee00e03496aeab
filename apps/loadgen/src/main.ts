import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { BenchReport } from './bench/run-bench';
import { parseArgs, usage, UsageError, type BenchOptions, type RunOptions } from './cli/args';
import { formatResult, type LoadResult } from './run/result';
import { runScenario } from './run/run-scenario';
import { ChatApi } from '@chat/client';
import { MailboxCodeSource, SmtpCodeSource, type CodeSource } from './setup/code-source';
import { createPopulation } from './setup/population';

/** Exit code when the run worked but a message was lost, refused or delivered twice. */
const EXIT_LOSSY = 3;

const progress = (line: string) => process.stderr.write(`[loadgen] ${line}\n`);

function isClean(r: LoadResult): boolean {
  const d = r.deliveries;
  return (
    r.acked === r.sent &&
    r.timeouts === 0 &&
    r.failed === 0 &&
    d.missing === 0 &&
    d.duplicates === 0 &&
    (!r.reactions ||
      (r.reactions.failed === 0 &&
        r.reactions.pushes.missing === 0 &&
        r.reactions.pushes.duplicates === 0))
  );
}

async function openCodeSource(opts: RunOptions): Promise<CodeSource> {
  switch (opts.codes) {
    case 'smtp': {
      const sink = await SmtpCodeSource.start(opts.smtpHost, opts.smtpPort);
      progress(`codes from ${sink.description}: the mailer must send there (SMTP_URL=${sink.url})`);
      return sink;
    }
    case 'mailbox':
      return new MailboxCodeSource(opts.mailbox);
  }
}

async function run(opts: RunOptions): Promise<number> {
  const codes = await openCodeSource(opts);
  try {
    const started = Date.now();
    const population = await createPopulation(new ChatApi({ baseUrl: opts.api }), codes, {
      accounts: opts.accounts,
      accountsPerUser: opts.accountsPerUser,
      topology: opts.topology,
      groupSize: opts.groupSize,
      tag: randomBytes(3).toString('hex'),
      progress,
    });
    progress(`set-up took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const result = await runScenario({
      label: 'run',
      population,
      gateways: opts.gateways,
      apiUrl: opts.api,
      scenario: opts,
      progress,
    });
    if (opts.json) {
      process.stderr.write(`${formatResult(result)}\n`);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(`${formatResult(result)}\n`);
    }
    return isClean(result) ? 0 : EXIT_LOSSY;
  } finally {
    await codes.close();
  }
}

/**
 * A live line on stderr while a bench run is under way: rewritten in place on a terminal,
 * one line every 5 s otherwise (logs, CI).
 */
function liveWriter() {
  const tty = process.stderr.isTTY;
  let shown = false;
  let lastAt = 0;
  return {
    live(line: string) {
      if (tty) {
        process.stderr.write(`\r\x1b[K[bench] ${line}`);
        shown = true;
      } else if (Date.now() - lastAt >= 5000) {
        lastAt = Date.now();
        process.stderr.write(`[bench] ${line}\n`);
      }
    },
    done() {
      if (shown) process.stderr.write('\n');
      shown = false;
      lastAt = 0;
    },
  };
}

function machineInfo(): BenchReport['machine'] {
  return {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

async function bench(opts: BenchOptions, argv: string[]): Promise<number> {
  // Loaded only here: `run` needs none of the bench's servers or harness.
  const { runBench } = await import('./bench/run-bench');
  const { resultTables, writeReport } = await import('./bench/report');
  const writer = liveWriter();
  const report = await runBench(
    opts,
    ['npm run bench --', ...argv.slice(1)],
    {
      progress: (line) => {
        writer.done();
        progress(line);
      },
      live: writer.live,
      liveDone: writer.done,
    },
    machineInfo(),
  );
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const dir = path.resolve(opts.outDir, stamp);
  const files = await writeReport(report, dir);
  process.stdout.write(`\n${resultTables(report)}\nreports: ${files.join(', ')}\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (report.systems.some((s) => s.error)) return 1;
  const results = report.systems.flatMap((s) => s.points.map((p) => p.result));
  return results.every(isClean) ? 0 : EXIT_LOSSY;
}

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`loadgen: ${err.problems.length} problem(s)\n`);
    for (const p of err.problems) process.stderr.write(`  ${p}\n`);
    process.stderr.write('See --help.\n');
    return 2;
  }
  switch (command.command) {
    case 'help':
      process.stdout.write(`${usage()}\n`);
      return 0;
    case 'run':
      return run(command);
    case 'bench':
      return bench(command, argv);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `loadgen: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
