import { randomBytes } from 'node:crypto';
import { formatComparison, runBench } from './bench';
import { parseArgs, usage, UsageError, type RunOptions } from './cli/args';
import { formatResult, type LoadResult } from './run/result';
import { runScenario } from './run/run-scenario';
import { ApiClient } from './setup/api-client';
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
    d.duplicates === 0
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
    const population = await createPopulation(new ApiClient(opts.api), codes, {
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
    case 'bench': {
      const report = await runBench(command, progress);
      const results = [report.warmup, report.main, ...report.comparisons.map((c) => c.result)];
      const lines = [
        `stack started in ${report.stackSeconds.toFixed(1)} s, accounts set up in ${report.setupSeconds.toFixed(1)} s`,
        ...results.map(formatResult),
        ...report.comparisons.map(formatComparison),
      ];
      if (command.json) {
        process.stderr.write(`${lines.join('\n')}\n`);
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      return results.every(isClean) ? 0 : EXIT_LOSSY;
    }
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
