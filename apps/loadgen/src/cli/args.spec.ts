import { parseArgs, usage, UsageError, type BenchOptions, type RunOptions } from './args';

const API = ['--api', 'http://127.0.0.1:8080', '--gateway', 'ws://127.0.0.1:8081/ws'];

function problemsOf(argv: string[]): string[] {
  try {
    parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return err.problems;
    throw err;
  }
  throw new Error('expected a UsageError');
}

describe('parseArgs', () => {
  it('fills the run defaults and one socket per account', () => {
    const o = parseArgs(API) as RunOptions;
    expect(o).toMatchObject({
      command: 'run',
      api: 'http://127.0.0.1:8080',
      gateways: ['ws://127.0.0.1:8081/ws'],
      accounts: 20,
      sockets: 20,
      topology: 'pairs',
      messages: 2000,
      rate: 0,
      window: 16,
      workers: 2,
      clientMsgId: true,
      typingRatio: 0,
      reactionRatio: 0,
      codes: 'smtp',
      smtpPort: 2525,
      json: false,
    });
  });

  it('reads --name value, --name=value, repeated and comma-separated gateways', () => {
    const o = parseArgs([
      'run',
      '--api=http://h:1',
      '--gateway',
      'ws://a/ws,ws://b/ws',
      '--gateway=ws://c/ws',
      '--accounts',
      '12',
      '--sockets=24',
      '--rate',
      '1_500',
      '--duration',
      '2.5',
      '--topology',
      'groups',
      '--group-size',
      '4',
      '--codes',
      'mailbox',
      '--mailbox',
      '/tmp/box',
      '--json',
    ]) as RunOptions;
    expect(o.gateways).toEqual(['ws://a/ws', 'ws://b/ws', 'ws://c/ws']);
    expect([o.accounts, o.sockets, o.rate, o.durationS]).toEqual([12, 24, 1500, 2.5]);
    expect([o.topology, o.groupSize, o.codes, o.mailbox, o.json]).toEqual([
      'groups',
      4,
      'mailbox',
      '/tmp/box',
      true,
    ]);
  });

  it('turns a flag off with --no-<flag> or --flag=false', () => {
    expect((parseArgs([...API, '--no-client-msg-id']) as RunOptions).clientMsgId).toBe(false);
    expect((parseArgs([...API, '--client-msg-id=false']) as RunOptions).clientMsgId).toBe(false);
  });

  it('gives bench its own defaults and options', () => {
    const o = parseArgs(['bench', '--systems', 'relay,socketio', '--window', '8']) as BenchOptions;
    expect(o).toMatchObject({
      command: 'bench',
      systems: ['relay', 'socketio'],
      accounts: 200,
      contentBytes: 100,
      durationS: 20,
      gatewayCount: 2,
      idleSockets: 2000,
      rates: [0],
      window: 8,
      smoke: false,
      outDir: 'bench-results',
    });
    expect((parseArgs(['bench']) as BenchOptions).systems).toEqual([
      'relay',
      'socketio',
      'standalone',
      'distributed',
    ]);
    expect(problemsOf(['bench', '--api', 'http://x'])).toEqual(['--api does not apply to "bench"']);
    expect(problemsOf(['bench', '--systems', 'relay,nats'])).toEqual([
      '--systems: "nats" is not one of relay, socketio, standalone, distributed',
    ]);
  });

  it('takes a list of rates for bench, one for run', () => {
    const o = parseArgs(['bench', '--rate', '1000,2_000', '--rate=0']) as BenchOptions;
    expect(o.rates).toEqual([1000, 2000, 0]);
    expect(problemsOf(['bench', '--rate', '1000,x'])).toEqual(['--rate: "x" is not a number']);
    expect(problemsOf([...API, '--rate', '1,2'])).toEqual(['--rate: run takes one rate, got 2']);
  });

  it('takes one reaction ratio for run, a list for bench, each within 0–1', () => {
    expect((parseArgs([...API, '--reaction-ratio', '0.2']) as RunOptions).reactionRatio).toBe(0.2);
    const o = parseArgs([
      'bench',
      '--reaction-ratio',
      '0,0.2',
      '--reaction-ratio=0.2',
    ]) as BenchOptions;
    expect(o.reactionRatios).toEqual([0, 0.2]);
    expect(o).not.toHaveProperty('reactionRatio');
    expect((parseArgs(['bench']) as BenchOptions).reactionRatios).toEqual([0]);
    expect(problemsOf([...API, '--reaction-ratio', '1.5'])).toEqual([
      '--reaction-ratio: 1.5 is out of range (0–1)',
    ]);
    expect(problemsOf([...API, '--reaction-ratio', 'some'])).toEqual([
      '--reaction-ratio: "some" is not a number',
    ]);
    expect(problemsOf([...API, '--reaction-ratio', '-0.1'])).toEqual([
      '--reaction-ratio: -0.1 is out of range (0–1)',
    ]);
    expect(problemsOf([...API, '--reaction-ratio', '0.1,0.2'])).toEqual([
      '--reaction-ratio: run takes one ratio, got 2',
    ]);
    expect(usage()).toContain('--reaction-ratio R');
  });

  it('shrinks every figure with --smoke, except the ones given', () => {
    const o = parseArgs(['bench', '--smoke', '--duration', '3']) as BenchOptions;
    expect(o).toMatchObject({
      smoke: true,
      accounts: 20,
      durationS: 3,
      idleSockets: 50,
      warmupS: 1,
      rates: [500],
    });
    expect(problemsOf(['run', ...API, '--smoke'])).toEqual(['--smoke does not apply to "run"']);
  });

  it('reports every problem at once, each naming its option', () => {
    const problems = problemsOf([
      '--api',
      'ftp://x',
      '--window',
      '0',
      '--rate',
      'fast',
      '--accounts',
      '3',
      '--topology',
      'ring',
      '--bogus',
      'stray',
    ]);
    expect(problems).toEqual([
      '--window: 0 is out of range (1–1000)',
      '--rate: "fast" is not a number',
      '--topology: "ring" is not one of pairs, groups',
      'unknown option --bogus (see --help)',
      'unexpected argument "stray" (options start with --; see --help)',
      '--api: "ftp://x" must start with http: or https://',
      '--gateway is required (at least one WebSocket URL)',
      '--accounts: pairs need an even number of accounts, got 3',
    ]);
  });

  it('checks that the accounts fit the topology and the sockets', () => {
    expect(
      problemsOf([...API, '--topology', 'groups', '--accounts', '10', '--group-size', '4']),
    ).toEqual(['--accounts: 10 is not a multiple of --group-size 4']);
    expect(problemsOf([...API, '--accounts', '10', '--sockets', '6'])).toEqual([
      '--sockets: 6 is fewer than --accounts 10; each account needs one',
    ]);
    expect(problemsOf([...API, '--messages', '1.5'])).toEqual([
      '--messages: "1.5" is not a whole number',
    ]);
    expect(problemsOf([...API, '--window'])).toEqual(['--window needs a value']);
  });

  it('answers --help before looking at anything else', () => {
    expect(parseArgs(['--bogus', '--help'])).toEqual({ command: 'help' });
    expect(parseArgs(['bench', '-h'])).toEqual({ command: 'help' });
    const text = usage();
    expect(text).toContain('--window W');
    expect(text).toContain('(default 16)');
    expect(text).toContain('(default run: 2000; bench: 10000000)');
    expect(text).toContain('(default 2000) (--smoke: 50)');
  });
});
