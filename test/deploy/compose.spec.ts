/**
 * The deployment files, checked without a Docker engine: docker-compose.yml against the
 * Compose specification (dclint's bundled schema, and Debian's `docker-compose config` when
 * it is installed), and the promises the deployment makes (health checks, restart policies,
 * images built from docker/, non-root production images, settings that the config reads).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '@chat/config';
import { DCLinter } from 'dclint';
import YAML from 'yaml';
import {
  baseImages,
  instructionsOf,
  parseDockerfile,
  stageChain,
  stageNamed,
} from './support/dockerfile';

const ROOT = path.resolve(__dirname, '../..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const DOCKER_DIR = path.join(ROOT, 'docker');
const CONFIG_DIR = path.join(ROOT, 'config/app');
/** Where the image's WORKDIR expects the config (libs/config reads ./config/app). */
const CONFIG_MOUNT = '/app/config/app';

/** Images the deployment pulls as they are; everything else builds from docker/. */
const UPSTREAM_IMAGES = ['postgres', 'redis', 'apache/kafka', 'haproxy'];

/** The parts of a service definition these checks read (after `<<` merges). */
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, unknown> | string[];
  healthcheck?: { test?: string[]; disable?: boolean; [key: string]: unknown };
  restart?: string;
  stop_grace_period?: string;
  networks?: { default?: { aliases?: string[] } };
  ports?: string[] | string;
  volumes?: string[];
  [key: string]: unknown;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const composeText = readFileSync(COMPOSE_FILE, 'utf8');
const compose = YAML.parse(composeText, { merge: true }) as Compose;
const services = compose.services;
const gatewayNames = Object.keys(services).filter((n) => /^gateway-\d+$/.test(n));
/** The apps that keep running, by service name, with the Dockerfile target each builds. */
const longRunning = ['api', ...gatewayNames, 'persister', 'notifier', 'mailer'];
const appServices = [...longRunning, 'migrate'];

const dockerfilePath = (svc: Service) =>
  path.resolve(ROOT, svc.build?.context ?? '.', svc.build?.dockerfile ?? 'Dockerfile');
const dockerfile = parseDockerfile(readFileSync(path.join(DOCKER_DIR, 'Dockerfile'), 'utf8'));

// ---------------------------------------------------------------------------------------
// Compose interpolation, as `docker compose` does with no variable set: `${X:-default}`
// and `${X-default}` give the default, `${X}` gives '', `$$` is a literal `$`.

function interpolateDefaults(value: string): string {
  return value.replace(
    /\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g,
    (whole, _name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (whole === '$$') return '$';
      return op === ':-' || op === '-' ? (arg ?? '') : '';
    },
  );
}

/** The service's environment as the container sees it when no variable is set. */
function containerEnv(svc: Service): Record<string, string> {
  const env: Record<string, string> = {};
  const raw = svc.environment ?? {};
  const entries: [string, unknown][] = Array.isArray(raw)
    ? raw.map((item: string) => {
        const at = item.indexOf('=');
        return at < 0 ? [item, ''] : [item.slice(0, at), item.slice(at + 1)];
      })
    : Object.entries(raw);
  for (const [k, v] of entries) env[k] = interpolateDefaults(String(v ?? ''));
  return env;
}

/** The configuration the app in `svc` loads: public.yml, private.yml, then its environment. */
function configOf(svc: Service): Config {
  const env = containerEnv(svc);
  // Token.Key has no default; the operator supplies it (docker/README.md).
  return loadConfig({
    dir: CONFIG_DIR,
    env: { ...env, TOKEN_KEY: env.TOKEN_KEY || 'test-signing-key-7Hq2Xv9LmP4zR8sK1wN6bT3y' },
  });
}

/**
 * The port of each app's ops server (/healthz, /readyz, /metrics), read from its
 * configuration; the api's and the gateways' public ports serve a plain /healthz only.
 */
function probePort(name: string, config: Config): number {
  return serverPort(
    config,
    name.startsWith('gateway-')
      ? 'GatewayOpsPort'
      : {
          api: 'ApiOpsPort',
          persister: 'PersisterOpsPort',
          notifier: 'NotifierOpsPort',
          mailer: 'MailerOpsPort',
        }[name],
  );
}

function serverPort(config: Config, key: string | undefined): number {
  const port = key ? (config.Server as Record<string, unknown>)[key] : undefined;
  if (typeof port !== 'number') throw new Error(`no Server port key ${key}`);
  return port;
}

function durationMs(text: string): number {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s|us)/g;
  let matched = '';
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const n = Number(m[1]);
    total += n * { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms'];
    matched += m[0];
  }
  if (matched !== text) throw new Error(`not a Compose duration: ${text}`);
  return total;
}

// ---------------------------------------------------------------------------------------
// Validators

interface LintMessage {
  rule: string;
  type: string;
  message: string;
  line: number;
}

function dclint(file: string): LintMessage[] {
  const linter = new DCLinter({ rules: {}, quiet: false, debug: false, exclude: [] });
  const [result] = linter.lintFiles([file], false);
  if (!result) throw new Error(`dclint did not read ${file}`);
  return result.messages as LintMessage[];
}

/** `docker-compose` (Debian's, v1) or the command in DOCKER_COMPOSE, if it runs here. */
function findComposeCli(): string[] | undefined {
  const command = (process.env.DOCKER_COMPOSE ?? 'docker-compose').split(/\s+/).filter(Boolean);
  const probe = spawnSync(command[0], [...command.slice(1), 'version'], { encoding: 'utf8' });
  return probe.error || probe.status !== 0 ? undefined : command;
}

function composeConfig(cli: string[], file: string) {
  // Interpolation uses only the file's defaults, as on a host with nothing set.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  if (process.env.PYTHONPATH) env.PYTHONPATH = process.env.PYTHONPATH;
  const res = spawnSync(cli[0], [...cli.slice(1), '-f', file, 'config', '-q'], {
    encoding: 'utf8',
    env,
    cwd: path.dirname(file),
  });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

/** Copies of the compose file, each with one violation of the Compose specification. */
const BROKEN: [string, (doc: Compose) => void][] = [
  ['an unknown service key', (d) => void (d.services.api.restart_policy = 'always')],
  [
    'an unknown depends_on condition',
    (d) => void (d.services.api.depends_on!.migrate.condition = 'service_done'),
  ],
  ['a misspelt healthcheck key', (d) => void (d.services.persister.healthcheck!.intervall = '10s')],
  ['ports given as a string', (d) => void (d.services.redis.ports = '6379:6379')],
];

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'compose-spec-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes `doc` as docker-compose.yml in a fresh folder under the scratch folder. */
function writeCopy(label: string, doc: Compose): string {
  const dir = mkdtempSync(path.join(scratch, `${label.replace(/\W+/g, '-')}-`));
  const file = path.join(dir, 'docker-compose.yml');
  writeFileSync(file, YAML.stringify(doc, { aliasDuplicateObjects: false }));
  return file;
}

const copyOf = (): Compose => structuredClone(compose);

// ---------------------------------------------------------------------------------------

describe('docker-compose.yml against the Compose specification', () => {
  it('passes dclint: valid against the specification, no lint errors', () => {
    const errors = dclint(COMPOSE_FILE).filter((m) => m.type === 'error');
    expect(errors).toEqual([]);
  });

  it('an unchanged copy also passes, so the broken copies below fail for their change alone', () => {
    const file = writeCopy('unchanged', copyOf());
    expect(dclint(file).filter((m) => m.type === 'error')).toEqual([]);
  });

  it.each(BROKEN)('a copy with %s fails dclint with a schema error', (label, breakIt) => {
    const doc = copyOf();
    breakIt(doc);
    const messages = dclint(writeCopy(label, doc));
    expect(messages.map((m) => m.rule)).toContain('invalid-schema');
  });

  const cli = findComposeCli();
  if (!cli) {
    process.stderr.write(
      'compose.spec: docker-compose is not installed (Debian package docker-compose, or set ' +
        'DOCKER_COMPOSE): the `docker-compose config` checks are skipped; dclint still validates.\n',
    );
  }
  const withCli = cli ? it : it.skip;

  withCli('docker-compose config accepts the file', () => {
    const res = composeConfig(cli!, COMPOSE_FILE);
    expect(res.output).toBe('');
    expect(res.status).toBe(0);
  });

  withCli('docker-compose config rejects a copy with an unknown service key', () => {
    const doc = copyOf();
    BROKEN[0][1](doc);
    const res = composeConfig(cli!, writeCopy('cli-broken', doc));
    expect(res.status).not.toBe(0);
    expect(res.output).toMatch(/restart_policy/);
  });
});

describe('docker-compose.yml services', () => {
  it('runs the api, two or more gateways, persister, notifier, mailer and a migration', () => {
    expect(gatewayNames.length).toBeGreaterThanOrEqual(2);
    for (const name of appServices) expect(Object.keys(services)).toContain(name);
  });

  it('builds every app image from docker/ (context, Dockerfile and target exist)', () => {
    const stages = new Set(dockerfile.stages.map((s) => s.name));
    for (const name of appServices) {
      const svc = services[name];
      expect({ name, image: svc.image }).toEqual({ name, image: undefined });
      expect(typeof svc.build).toBe('object');
      expect(path.resolve(ROOT, svc.build!.context)).toBe(ROOT);
      const file = dockerfilePath(svc);
      expect(path.relative(DOCKER_DIR, file).startsWith('..')).toBe(false);
      expect(existsSync(file)).toBe(true);
      const target = name.startsWith('gateway-') ? 'gateway' : name;
      expect({ name, target: svc.build!.target }).toEqual({ name, target });
      expect(stages.has(target)).toBe(true);
    }
  });

  it('pulls only pinned upstream images for the services it does not build', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.build) continue;
      const image = String(svc.image);
      const [repo, tag = ''] = image.split(':');
      expect({ name, upstream: UPSTREAM_IMAGES.includes(repo) }).toEqual({ name, upstream: true });
      expect({ name, tag: /^\d/.test(tag) }).toEqual({ name, tag: true });
    }
  });

  it.each(longRunning)(
    '%s has a health check on its own port, restarts, and starts after the migration',
    (name) => {
      const svc = services[name];
      const config = configOf(svc);
      const test: string[] = svc.healthcheck?.test ?? [];
      expect(svc.healthcheck?.disable).not.toBe(true);
      expect(test[0]).toMatch(/^CMD/);
      const url = test.find((arg) => /^https?:\/\//.test(arg));
      expect(url).toBeDefined();
      const probed = new URL(url!);
      expect(probed.pathname).toBe('/readyz');
      expect(Number(probed.port)).toBe(probePort(name, config));
      // The ops port is for the network the apps share: never published on the host.
      const published = ((svc.ports ?? []) as string[]).map((p) =>
        Number(interpolateDefaults(p).split(':').pop()),
      );
      expect({ name, published: published.includes(probePort(name, config)) }).toEqual({
        name,
        published: false,
      });
      expect(['always', 'unless-stopped', 'on-failure']).toContain(svc.restart);
      expect(svc.depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
      expect(svc.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
      // Docker's SIGKILL must not cut the drain short (Server.ShutdownTimeout, docs/development.md §4).
      expect(durationMs(String(svc.stop_grace_period ?? '10s'))).toBeGreaterThan(
        config.Server.ShutdownTimeout,
      );
    },
  );

  it('runs the migration once: no restart, no probe, the others wait for its success', () => {
    const migrate = services.migrate;
    expect(migrate.restart).toBe('no');
    expect(migrate.healthcheck).toEqual({ disable: true });
    for (const [name, svc] of Object.entries(services)) {
      const dep = svc.depends_on?.migrate;
      if (dep)
        expect({ name, dep }).toEqual({
          name,
          dep: { condition: 'service_completed_successfully' },
        });
    }
  });

  it('gives every service that is not one-shot a restart policy and a health check', () => {
    const oneShot = Object.entries(services).filter(([, s]) => s.restart === 'no');
    expect(oneShot.map(([n]) => n).sort()).toEqual(['kafka-topics', 'migrate']);
    for (const [name, svc] of Object.entries(services)) {
      if (svc.restart === 'no') continue;
      expect({ name, restart: svc.restart }).toEqual({
        name,
        restart: expect.stringMatching(/^(always|unless-stopped|on-failure)/),
      });
      expect({ name, probe: Array.isArray(svc.healthcheck?.test) }).toEqual({ name, probe: true });
    }
  });

  it('never lets the mailer fall back to the dev mailbox unless the operator asks', () => {
    const config = configOf(services.mailer);
    // With no variable set: no SMTP server, and the dev mailbox not allowed, so the mailer
    // refuses to start and says which key to set rather than keep codes in a file.
    expect(config.Email.SmtpUrl).toBeUndefined();
    expect(config.Email.DevMailbox).toBe(false);
    expect(containerEnv(services.mailer).SMTP_URL).toBe('');
  });

  it('gives the api and every gateway its own App.MachineID', () => {
    const ids = ['api', ...gatewayNames].map((n) => configOf(services[n]).App.MachineID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('puts every gateway behind the load balancer on one public port', () => {
    const cfg = readFileSync(path.join(DOCKER_DIR, 'haproxy/haproxy.cfg'), 'utf8');
    const template = /^\s*server-template\s+\S+\s+(\d+)\s+([\w.-]+):(\d+)/m.exec(cfg);
    expect(template).not.toBeNull();
    const [, slots, host, port] = template!;
    expect(Number(slots)).toBeGreaterThanOrEqual(gatewayNames.length);
    for (const name of gatewayNames) {
      const gw = services[name];
      expect({ name, aliases: gw.networks?.default?.aliases }).toEqual({
        name,
        aliases: expect.arrayContaining([host]),
      });
      expect(serverPort(configOf(gw), 'GatewayPort')).toBe(Number(port));
      expect(gw.ports).toBeUndefined();
    }
    // The balancer asks each gateway's /readyz on its ops port, not on the public one.
    const check = /^\s*default-server\s.*\bcheck\b.*\bport\s+(\d+)/m.exec(cfg);
    expect(check).not.toBeNull();
    for (const name of gatewayNames) {
      expect({ name, checked: Number(check![1]) }).toEqual({
        name,
        checked: probePort(name, configOf(services[name])),
      });
    }
    expect(cfg).toMatch(/^\s*http-check send meth GET uri \/readyz\b/m);
    const lb = services['gateway-lb'];
    expect(lb.volumes).toContain(
      './docker/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro',
    );
    const bind = /^frontend websocket[\s\S]*?^\s*bind\s+\S*:(\d+)/m.exec(cfg);
    expect(bind).not.toBeNull();
    const published = (lb.ports as string[]).map((p) => interpolateDefaults(p).split(':').pop());
    expect(published).toEqual([bind![1]]);
  });

  it('keeps data in declared named volumes and mounts config/app read-only into every app', () => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    const named = (svc: Service) =>
      ((svc.volumes ?? []) as string[])
        .map((v) => v.split(':')[0])
        .filter((source) => !source.startsWith('.') && !source.startsWith('/'));
    for (const [name, svc] of Object.entries(services)) {
      for (const vol of named(svc))
        expect({ name, vol, declared: declared.has(vol) }).toEqual({ name, vol, declared: true });
    }
    expect(named(services.postgres)).toEqual(['pgdata']);
    expect(named(services.redis)).toEqual(['redisdata']);
    expect(named(services.kafka)).toEqual(['kafkadata']);
    for (const name of appServices) {
      expect({ name, volumes: services[name].volumes }).toEqual({
        name,
        volumes: expect.arrayContaining([`./config/app:${CONFIG_MOUNT}:ro`]),
      });
    }
  });

  it('passes the apps only environment variables that configuration keys read', () => {
    const example = readFileSync(path.join(CONFIG_DIR, 'private.example.yml'), 'utf8');
    const known = new Set(
      [...example.matchAll(/Env: ([A-Z0-9_, ]+)\./g)].flatMap((m) => m[1].split(/,\s*/)),
    );
    expect(known.has('TOKEN_KEY')).toBe(true);
    for (const name of appServices) {
      for (const variable of Object.keys(containerEnv(services[name]))) {
        expect({ name, variable, known: known.has(variable) }).toEqual({
          name,
          variable,
          known: true,
        });
      }
    }
  });

  it('documents every variable it interpolates in docker/README.md', () => {
    const readme = readFileSync(path.join(DOCKER_DIR, 'README.md'), 'utf8');
    const used = new Set([...composeText.matchAll(/\$\{(\w+)/g)].map((m) => m[1]));
    expect(used.size).toBeGreaterThan(0);
    for (const variable of used)
      expect({ variable, documented: readme.includes(`\`${variable}\``) }).toEqual({
        variable,
        documented: true,
      });
  });
});

describe('docker/Dockerfile', () => {
  const targets = [...new Set(appServices.map((n) => String(services[n].build?.target)))];

  it('builds on Node 22 or 24, Debian trixie (glibc 2.38 or later for the uWS addons)', () => {
    const bases = baseImages(dockerfile);
    expect(bases.length).toBeGreaterThan(0);
    for (const image of bases) {
      expect(image).toMatch(/^node:(22|24)(\.\d+){0,2}-trixie(-slim)?(@sha256:[0-9a-f]{64})?$/);
    }
  });

  it('installs under engine-strict, the repository’s Node range dropped for the image’s Node', () => {
    expect(readFileSync(path.join(ROOT, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
    const runs = instructionsOf(dockerfile, 'manifests', 'RUN').map((i) => i.args);
    expect(runs.join('\n')).toMatch(
      /&& cp package-lock\.json \.npmrc \/app\/ && cd \/app && npm pkg delete engines\.node$/m,
    );
  });

  it('replaces the lock file’s uWebSockets.js, after the install, with a build pinned by hash', () => {
    // The stage whose node_modules the images ship.
    const stage = stageNamed(dockerfile, 'prod-deps')!;
    const copies = instructionsOf(dockerfile, 'runtime', 'COPY').filter((i) =>
      /node_modules/.test(i.args),
    );
    expect(copies.map((i) => /--from=(\S+)/.exec(i.args)?.[1])).toEqual(['prod-deps']);
    const args = Object.fromEntries(
      stage.instructions
        .filter((i) => i.keyword === 'ARG')
        .map((i) => [i.args.split('=')[0], i.args.slice(i.args.indexOf('=') + 1)]),
    );
    // An exact version (no range, no tag) and the SHA-512 of its tarball.
    expect(args.UWS_PACKAGE).toMatch(/^(@[\w.-]+\/)?[\w.-]+@\d+\.\d+\.\d+$/);
    expect(args.UWS_SHA512).toMatch(/^[0-9a-f]{128}$/);
    const runs = stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const install = runs.findIndex((r) => /\bnpm ci --omit=dev\b/.test(r));
    const swap = runs.findIndex((r) => r.includes('"${UWS_PACKAGE}"'));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(swap).toBeGreaterThan(install);
    const steps = runs[swap].split(' && ');
    const step = (pattern: RegExp) => steps.findIndex((cmd) => pattern.test(cmd));
    const pack = step(/^npm pack .*"\$\{UWS_PACKAGE\}" > \/tmp\/uws\/name$/);
    // sha512sum's line format: the hash, two spaces, the file.
    const check = step(
      /^echo "\$\{UWS_SHA512\} {2}\$\(cat name\)" \| sha512sum --check --strict -$/,
    );
    const remove = step(/^rm -rf \/app\/node_modules\/uWebSockets\.js$/);
    const unpack = step(/^tar -xzf "\$\(cat name\)" .*-C \/app\/node_modules\/uWebSockets\.js$/);
    // Downloaded, checked, and only then put in place of the pin; nothing may swallow a failure.
    expect([pack, check, remove, unpack].every((at) => at >= 0)).toBe(true);
    expect(pack < check && check < remove && remove < unpack).toBe(true);
    expect(runs[swap]).not.toMatch(/\|\||;/);
  });

  it('fails the gateway image’s build unless uWebSockets.js loads its native addon', () => {
    const chain = stageChain(dockerfile, 'gateway').flatMap((s) => s.instructions);
    const checks = chain.flatMap((i, at) =>
      i.keyword === 'RUN' && /uws-check/.test(i.args) ? [at] : [],
    );
    expect(checks).toHaveLength(1);
    const [at] = checks;
    // Exec form, so no shell can turn a failure into success.
    expect(JSON.parse(chain[at].args)).toEqual(['node', 'dist/uws-check.js']);
    // It runs where the shipped node_modules and bundles already are, on the image's Node.
    const copied = (what: RegExp) =>
      chain.findIndex((i) => i.keyword === 'COPY' && what.test(i.args));
    expect(copied(/\/app\/node_modules \.\/node_modules$/)).toBeGreaterThanOrEqual(0);
    expect(copied(/\/app\/node_modules \.\/node_modules$/)).toBeLessThan(at);
    expect(copied(/\/app\/dist \.\/dist$/)).toBeGreaterThanOrEqual(0);
    expect(copied(/\/app\/dist \.\/dist$/)).toBeLessThan(at);
    const bundle = readFileSync(path.join(DOCKER_DIR, 'bundle.cjs'), 'utf8');
    expect(bundle).toMatch(/^\s*'uws-check': 'apps\/gateway\/src\/sockets\/uws-check\.ts',$/m);
  });

  it.each(targets)('runs target %s as a non-root user', (target) => {
    const users = instructionsOf(dockerfile, target, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1].args.split(':')[0].trim();
    expect(['root', '0', '']).not.toContain(user);
  });

  it.each(targets)('ships only production dependencies in target %s', (target) => {
    const chain = stageChain(dockerfile, target);
    // The app stage installs nothing itself...
    for (const run of instructionsOf(dockerfile, target, 'RUN')) {
      expect(run.args).not.toMatch(/\bnpm (ci|install|i)\b(?!.*--global)/);
    }
    // ...and its node_modules come from a stage that installs with --omit=dev only.
    const copies = chain
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === 'COPY' && /node_modules/.test(i.args));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const from = /--from=(\S+)/.exec(copy.args)?.[1];
      expect(from).toBeDefined();
      const installs = instructionsOf(dockerfile, from!, 'RUN')
        .flatMap((i) => i.args.split(/&&|;/))
        .filter((cmd) => /\bnpm (ci|install|i)\b/.test(cmd) && !/--global|-g\b/.test(cmd));
      expect(installs.length).toBeGreaterThan(0);
      for (const cmd of installs) expect(cmd).toMatch(/--omit=dev|--omit dev/);
    }
  });

  it.each(targets)('starts target %s from its bundle in dist/', (target) => {
    const cmds = instructionsOf(dockerfile, target, 'CMD');
    expect(cmds.length).toBeGreaterThan(0);
    const argv = JSON.parse(cmds[cmds.length - 1].args) as string[];
    expect(argv).toEqual(['node', `dist/${target}.js`]);
    const bundle = readFileSync(path.join(DOCKER_DIR, 'bundle.cjs'), 'utf8');
    expect(bundle).toMatch(new RegExp(`^\\s*'?${target}'?: '(apps|libs)/[^']+\\.ts',$`, 'm'));
    expect(stageNamed(dockerfile, target)).toBeDefined();
  });

  it('keeps secrets and installed folders out of the build context (.dockerignore)', () => {
    const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of ['config/app/private.yml', '.env', '.git', '**/node_modules']) {
      expect(ignore).toContain(entry);
    }
  });
});
