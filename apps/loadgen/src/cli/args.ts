import { parseArgs as tokenize } from 'node:util';

export type Topology = 'pairs' | 'groups';
export type CodeSourceKind = 'smtp' | 'mailbox';
/** The systems `bench` measures side by side (docs/benchmarks.md). */
export const SYSTEMS = ['relay', 'socketio', 'standalone', 'distributed'] as const;
export type SystemName = (typeof SYSTEMS)[number];

/** What is sent and how: shared by `run` and `bench`. */
export interface ScenarioOptions {
  accounts: number;
  accountsPerUser: number;
  /** Sockets in all; each account gets at least one. */
  sockets: number;
  topology: Topology;
  groupSize: number;
  /** Messages in all, spread evenly over the sockets. */
  messages: number;
  /** Stop starting sends after this many seconds (0: no limit). */
  durationS: number;
  /** Target messages per second in all (0: as fast as the window allows). */
  rate: number;
  /** Sends in flight per socket. */
  window: number;
  /** Child processes holding the sockets (0: in this process). */
  workers: number;
  contentBytes: number;
  clientMsgId: boolean;
  /** Share of messages preceded by a `typing` frame in the same conversation (0–1). */
  typingRatio: number;
  /**
   * Share of messages followed by a reaction (`PUT /api/msg/update/reaction`) from a member
   * of the conversation (0–1).
   */
  reactionRatio: number;
  ackTimeoutS: number;
  drainS: number;
  json: boolean;
}

export interface RunOptions extends ScenarioOptions {
  command: 'run';
  api: string;
  gateways: string[];
  codes: CodeSourceKind;
  smtpHost: string;
  smtpPort: number;
  mailbox: string;
}

export interface BenchOptions extends Omit<ScenarioOptions, 'rate' | 'reactionRatio'> {
  command: 'bench';
  systems: SystemName[];
  /** One measured point per rate; 0 is a closed-loop point (as fast as the window allows). */
  rates: number[];
  /** One measured point per rate and reaction ratio (systems with a REST api only above 0). */
  reactionRatios: number[];
  /** Gateway processes of the distributed system. */
  gatewayCount: number;
  /** Extra authenticated sockets held open to measure the server's memory per socket. */
  idleSockets: number;
  warmupS: number;
  smoke: boolean;
  /** Reports go to `<outDir>/<timestamp>/`. */
  outDir: string;
}

export type Command = RunOptions | BenchOptions | { command: 'help' };

/** Bad command-line input: every problem found, one per line. */
export class UsageError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'UsageError';
  }
}

type Kind = 'int' | 'number' | 'numbers' | 'string' | 'bool' | 'list';
type CommandName = 'run' | 'bench';

interface OptionSpec {
  flag: string;
  key: string;
  kind: Kind;
  describe: string;
  placeholder?: string;
  /** Default per command; a command missing here does not take the option. */
  defaults: Partial<Record<CommandName, unknown>>;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** Default under `bench --smoke` when the option is not given. */
  smoke?: unknown;
}

const both = (value: unknown) => ({ run: value, bench: value });

const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'api',
    key: 'api',
    kind: 'string',
    placeholder: 'URL',
    defaults: { run: '' },
    describe: 'Base URL of the REST api, e.g. http://127.0.0.1:8080 (required).',
  },
  {
    flag: 'gateway',
    key: 'gateways',
    kind: 'list',
    placeholder: 'URL',
    defaults: { run: [] },
    describe:
      'WebSocket URL of a gateway, e.g. ws://127.0.0.1:8081/ws; repeat or comma-separate for several (required).',
  },
  {
    flag: 'codes',
    key: 'codes',
    kind: 'string',
    choices: ['smtp', 'mailbox'],
    defaults: { run: 'smtp' },
    describe:
      'Where verification codes are read: an SMTP sink this tool starts (point the mailer at it), or the dev mailbox folder.',
  },
  {
    flag: 'smtp-host',
    key: 'smtpHost',
    kind: 'string',
    placeholder: 'HOST',
    defaults: { run: '127.0.0.1' },
    describe: 'Address the SMTP sink listens on.',
  },
  {
    flag: 'smtp-port',
    key: 'smtpPort',
    kind: 'int',
    min: 0,
    max: 65535,
    placeholder: 'PORT',
    defaults: { run: 2525 },
    describe: 'Port of the SMTP sink; the mailer needs SMTP_URL=smtp://<host>:<port>.',
  },
  {
    flag: 'mailbox',
    key: 'mailbox',
    kind: 'string',
    placeholder: 'DIR',
    defaults: { run: '.data/mailbox' },
    describe: 'Folder the dev mailbox writes .eml files to (<App.DataDir>/mailbox).',
  },
  {
    flag: 'gateways',
    key: 'gatewayCount',
    kind: 'int',
    min: 1,
    max: 8,
    placeholder: 'N',
    defaults: { bench: 2 },
    describe: 'Gateway processes the bench starts.',
  },
  {
    flag: 'systems',
    key: 'systems',
    kind: 'list',
    choices: SYSTEMS,
    defaults: { bench: [...SYSTEMS] },
    describe:
      'What to measure: relay (bare uWebSockets.js, no storage), socketio (Socket.IO + one INSERT per message), standalone (npm start), distributed (gateways, Kafka, persister, notifier).',
  },
  {
    flag: 'idle-sockets',
    key: 'idleSockets',
    kind: 'int',
    min: 0,
    max: 100_000,
    placeholder: 'N',
    defaults: { bench: 2000 },
    smoke: 50,
    describe:
      'Extra idle authenticated sockets opened to measure server memory per socket (0: skip).',
  },
  {
    flag: 'warmup',
    key: 'warmupS',
    kind: 'number',
    min: 0,
    max: 600,
    placeholder: 'S',
    defaults: { bench: 3 },
    smoke: 1,
    describe: 'Seconds of paced sends before the measured runs of each system (0: none).',
  },
  {
    flag: 'out',
    key: 'outDir',
    kind: 'string',
    placeholder: 'DIR',
    defaults: { bench: 'bench-results' },
    describe: 'Folder of the reports: <DIR>/<timestamp>/report.json, report.md, latency-*.svg.',
  },
  {
    flag: 'smoke',
    key: 'smoke',
    kind: 'bool',
    defaults: { bench: false },
    describe:
      'Tiny numbers for a quick check: 10 pairs, 2 s at 500 msg/s, warm-up 1 s, 50 idle sockets (options given still win).',
  },
  {
    flag: 'accounts',
    key: 'accounts',
    kind: 'int',
    min: 2,
    max: 100_000,
    placeholder: 'N',
    defaults: { run: 20, bench: 200 },
    smoke: 20,
    describe: 'Accounts to create.',
  },
  {
    flag: 'accounts-per-user',
    key: 'accountsPerUser',
    kind: 'int',
    min: 1,
    max: 5,
    placeholder: 'N',
    defaults: both(5),
    describe:
      'Accounts per registered user (Rule.AccountNumMax); fewer users means fewer code mails.',
  },
  {
    flag: 'topology',
    key: 'topology',
    kind: 'string',
    choices: ['pairs', 'groups'],
    defaults: both('pairs'),
    describe:
      'pairs: accounts befriended two by two, each sends to its friend; groups: groups of --group-size, each member sends to its group.',
  },
  {
    flag: 'group-size',
    key: 'groupSize',
    kind: 'int',
    min: 2,
    max: 200,
    placeholder: 'N',
    defaults: both(5),
    describe: 'Members per group (groups topology).',
  },
  {
    flag: 'sockets',
    key: 'sockets',
    kind: 'int',
    min: 0,
    max: 100_000,
    placeholder: 'N',
    defaults: both(0),
    describe: 'Sockets in all, round-robin over accounts and gateways (0: one per account).',
  },
  {
    flag: 'messages',
    key: 'messages',
    kind: 'int',
    min: 1,
    max: 100_000_000,
    placeholder: 'N',
    defaults: { run: 2000, bench: 10_000_000 },
    describe: 'Messages in all, spread evenly over the sockets.',
  },
  {
    flag: 'duration',
    key: 'durationS',
    kind: 'number',
    min: 0,
    max: 86_400,
    placeholder: 'S',
    defaults: { run: 0, bench: 20 },
    smoke: 2,
    describe: 'Stop starting sends after S seconds (0: when every message is sent).',
  },
  {
    flag: 'rate',
    key: 'rate',
    kind: 'numbers',
    min: 0,
    max: 10_000_000,
    placeholder: 'R',
    defaults: { run: [0], bench: [0] },
    smoke: [500],
    describe:
      'Target messages per second in all (0: as fast as acks allow); bench takes a list, one run per rate, e.g. 1000,2000,0.',
  },
  {
    flag: 'window',
    key: 'window',
    kind: 'int',
    min: 1,
    max: 1000,
    placeholder: 'W',
    defaults: both(16),
    describe: 'Sends in flight per socket (the gateway refuses more than 100 with 1004).',
  },
  {
    flag: 'workers',
    key: 'workers',
    kind: 'int',
    min: 0,
    max: 64,
    placeholder: 'K',
    defaults: both(2),
    describe: 'Child processes the sockets are spread over (0: this process).',
  },
  {
    flag: 'content-bytes',
    key: 'contentBytes',
    kind: 'int',
    min: 1,
    max: 1000,
    placeholder: 'B',
    defaults: { run: 64, bench: 100 },
    describe: 'Length of each message (at least the stamp, about 40).',
  },
  {
    flag: 'client-msg-id',
    key: 'clientMsgId',
    kind: 'bool',
    defaults: both(true),
    describe:
      'Send a client_msg_id with each message, as a retrying client does (--no-client-msg-id to omit).',
  },
  {
    flag: 'typing-ratio',
    key: 'typingRatio',
    kind: 'number',
    min: 0,
    max: 1,
    placeholder: 'R',
    defaults: both(0),
    describe:
      'Share of messages preceded by a typing frame in their conversation (docs/protocol.md §3.4); chat protocol sockets only.',
  },
  {
    flag: 'reaction-ratio',
    key: 'reactionRatio',
    kind: 'numbers',
    min: 0,
    max: 1,
    placeholder: 'R',
    defaults: both([0]),
    describe:
      'Share of messages followed by a reaction (PUT /api/msg/update/reaction, sometimes removed later) from a member of the conversation; bench takes a list, one run per ratio and rate, e.g. 0,0.2 (systems with a REST api only).',
  },
  {
    flag: 'ack-timeout',
    key: 'ackTimeoutS',
    kind: 'number',
    min: 0.1,
    max: 3600,
    placeholder: 'S',
    defaults: both(30),
    describe: 'A send without a reply after S seconds counts as timed out.',
  },
  {
    flag: 'drain',
    key: 'drainS',
    kind: 'number',
    min: 0,
    max: 3600,
    placeholder: 'S',
    defaults: both(10),
    describe: 'After the last ack, wait up to S seconds for the deliveries still missing.',
  },
  {
    flag: 'json',
    key: 'json',
    kind: 'bool',
    defaults: both(false),
    describe: 'Print the result as JSON on stdout (the human line goes to stderr).',
  },
];

/** Parses the command line (without `node` and the script). */
export function parseArgs(argv: readonly string[]): Command {
  const args = [...argv];
  let command: CommandName = 'run';
  if (args[0] === 'run' || args[0] === 'bench') command = args.shift() as CommandName;
  // node:util reads the tokens; the option table gives their meaning and checks.
  const { tokens } = tokenize({
    args,
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(
        OPTIONS.map((o) => [
          o.flag,
          { type: o.kind === 'bool' ? ('boolean' as const) : ('string' as const), multiple: true },
        ]),
      ),
    },
    strict: false,
    allowPositionals: true,
    allowNegative: true,
    tokens: true,
  });
  const isHelp = (t: (typeof tokens)[number]) =>
    (t.kind === 'option' && (t.name === 'help' || t.name === 'h')) ||
    (t.kind === 'positional' && t.value === 'help');
  if (tokens.some(isHelp)) return { command: 'help' };

  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const spec of OPTIONS) {
    if (command in spec.defaults) values[spec.key] = structuredClone(spec.defaults[command]);
  }

  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      problems.push(`unexpected argument "${token.value}" (options start with --; see --help)`);
      continue;
    }
    const name = token.name;
    const spec = OPTIONS.find((o) => o.flag === name);
    if (!spec) {
      problems.push(`unknown option ${token.rawName} (see --help)`);
      continue;
    }
    if (!(command in spec.defaults)) {
      problems.push(`--${name} does not apply to "${command}"`);
      continue;
    }
    let text: string;
    if (token.value !== undefined) text = token.value;
    else if (spec.kind === 'bool') text = token.rawName.startsWith('--no-') ? 'false' : 'true';
    else {
      problems.push(`--${name} needs a value`);
      continue;
    }
    const parsed = parseValue(spec, text);
    if (typeof parsed === 'object' && parsed !== null && 'problem' in parsed) {
      problems.push(`--${name}: ${parsed.problem}`);
      continue;
    }
    if (spec.kind === 'list' || spec.kind === 'numbers') {
      const list = given.has(spec.key) ? (values[spec.key] as unknown[]) : [];
      values[spec.key] = [...list, ...(parsed as unknown[])];
    } else {
      values[spec.key] = parsed;
    }
    given.add(spec.key);
  }

  if (command === 'bench' && values.smoke === true) {
    for (const spec of OPTIONS) {
      if (spec.smoke !== undefined && !given.has(spec.key)) values[spec.key] = spec.smoke;
    }
  }
  const rates = values.rate as number[];
  const reactionRatios = values.reactionRatio as number[];
  if (command === 'run') {
    if (!values.api) problems.push('--api is required (the REST base URL)');
    else checkUrl(values.api as string, ['http:', 'https:'], '--api', problems);
    const gateways = values.gateways as string[];
    if (gateways.length === 0) problems.push('--gateway is required (at least one WebSocket URL)');
    for (const g of gateways) checkUrl(g, ['ws:', 'wss:'], '--gateway', problems);
    if (rates.length !== 1) problems.push(`--rate: run takes one rate, got ${rates.length}`);
    values.rate = rates[0] ?? 0;
    if (reactionRatios.length !== 1) {
      problems.push(`--reaction-ratio: run takes one ratio, got ${reactionRatios.length}`);
    }
    values.reactionRatio = reactionRatios[0] ?? 0;
  } else {
    values.systems = [...new Set(values.systems as SystemName[])];
    if ((values.systems as SystemName[]).length === 0)
      problems.push('--systems: name at least one');
    if (rates.length === 0) problems.push('--rate: name at least one rate (0: closed loop)');
    values.rates = rates;
    delete values.rate;
    if (reactionRatios.length === 0) problems.push('--reaction-ratio: name at least one ratio');
    values.reactionRatios = [...new Set(reactionRatios)];
    delete values.reactionRatio;
  }

  const accounts = values.accounts as number;
  const sockets = (values.sockets as number) || accounts;
  values.sockets = sockets;
  if (values.topology === 'pairs' && accounts % 2 !== 0) {
    problems.push(`--accounts: pairs need an even number of accounts, got ${accounts}`);
  }
  if (values.topology === 'groups' && accounts % (values.groupSize as number) !== 0) {
    problems.push(
      `--accounts: ${accounts} is not a multiple of --group-size ${values.groupSize as number}`,
    );
  }
  if (sockets < accounts) {
    problems.push(
      `--sockets: ${sockets} is fewer than --accounts ${accounts}; each account needs one`,
    );
  }
  if (problems.length) throw new UsageError(problems);
  return { command, ...values } as Command;
}

function parseNumber(spec: OptionSpec, text: string): number | { problem: string } {
  const n = Number(text.replace(/_/g, ''));
  if (text.trim() === '' || !Number.isFinite(n)) return { problem: `"${text}" is not a number` };
  if (spec.kind === 'int' && !Number.isInteger(n)) {
    return { problem: `"${text}" is not a whole number` };
  }
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
    return { problem: `${n} is out of range (${spec.min}–${spec.max})` };
  }
  return n;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseValue(spec: OptionSpec, text: string): unknown {
  switch (spec.kind) {
    case 'bool':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      return { problem: `expected true or false, got "${text}"` };
    case 'int':
    case 'number':
      return parseNumber(spec, text);
    case 'numbers': {
      const items = splitList(text).map((item) => parseNumber(spec, item));
      return items.find((i) => typeof i === 'object') ?? items;
    }
    case 'string':
      if (spec.choices && !spec.choices.includes(text)) {
        return { problem: `"${text}" is not one of ${spec.choices.join(', ')}` };
      }
      return text;
    case 'list': {
      const items = splitList(text);
      const bad = spec.choices ? items.filter((s) => !spec.choices!.includes(s)) : [];
      if (bad.length) return { problem: `"${bad[0]}" is not one of ${spec.choices!.join(', ')}` };
      return items;
    }
  }
}

function checkUrl(value: string, protocols: string[], flag: string, problems: string[]): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${flag}: "${value}" is not a URL`);
    return;
  }
  if (!protocols.includes(url.protocol)) {
    problems.push(`${flag}: "${value}" must start with ${protocols.join(' or ')}//`);
  }
}

/** The text of --help, built from the option table. */
export function usage(): string {
  const lines = [
    'loadgen: load generator and benchmark client of the chat protocol',
    '',
    'usage:',
    '  tsx apps/loadgen/src/main.ts [run] --api URL --gateway URL [--gateway URL ...] [options]',
    '  tsx --tsconfig apps/loadgen/tsconfig.json apps/loadgen/src/main.ts bench [options]',
    '',
    'run creates the accounts over REST, befriends or groups them, opens the sockets, sends,',
    'and reports acked messages/s, send→ack and send→delivery latency, missing and duplicate',
    'deliveries. bench (npm run bench) measures four systems side by side with the same',
    'client: a bare uWebSockets.js relay, Socket.IO with one INSERT per message, npm start,',
    'and the distributed apps on DATABASE_URL, REDIS_URL, KAFKA_BROKERS; for each a warm-up,',
    'one run per --rate, server memory per idle socket and CPU per process; it writes',
    '<out>/<timestamp>/report.json, report.md and latency charts (docs/benchmarks.md).',
    '',
    'options:',
  ];
  for (const o of OPTIONS) {
    const head = `  --${o.flag}${o.kind === 'bool' ? '' : ` ${o.placeholder ?? o.choices?.join('|') ?? 'VALUE'}`}`;
    const shown = Object.entries(o.defaults)
      .filter(([, v]) => v !== '' && !(Array.isArray(v) && v.length === 0))
      .map(([cmd, v]) => [cmd, Array.isArray(v) ? v.join(',') : String(v)]);
    const same = new Set(shown.map(([, v]) => v)).size === 1;
    const only =
      Object.keys(o.defaults).length === 1 ? ` [${Object.keys(o.defaults)[0]} only]` : '';
    const dflt = !shown.length
      ? ''
      : same
        ? ` (default ${shown[0][1]})`
        : ` (default ${shown.map(([cmd, v]) => `${cmd}: ${v}`).join('; ')})`;
    const smoke =
      o.smoke === undefined
        ? ''
        : ` (--smoke: ${Array.isArray(o.smoke) ? o.smoke.join(',') : String(o.smoke)})`;
    lines.push(head, `      ${o.describe}${only}${dflt}${smoke}`);
  }
  return lines.join('\n');
}
