import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, loadConfigWithDetails, redactConfig } from './load-config';
import { renderConfigFile } from './render-yaml';

const KEY = 'test-signing-key-7Hq2Xv9LmP4zR8sK1wN6bT3y';
const REPO_CONFIG = path.resolve(__dirname, '../../../config/app');

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'config-spec-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('stops when Token.Key is missing and names the key and where to set it', () => {
    const problems = problemsOf(() => loadConfig({ dir: REPO_CONFIG, env: {} }));
    expect(problems).toEqual([
      'Token.Key: not set. Set it in config/app/private.yml or TOKEN_KEY.',
    ]);
  });

  it('says how short a short Token.Key is', () => {
    const problems = problemsOf(() => loadConfig({ dir: REPO_CONFIG, env: { TOKEN_KEY: 'abc' } }));
    expect(problems).toEqual([
      'Token.Key: too short (3 characters, need at least 32). Set it in config/app/private.yml or TOKEN_KEY.',
    ]);
  });

  it('never shows the value of a secret key in a problem, only what kind of value it is', () => {
    const secret = 'do-not-print-me-Zq81xX0aB7vL2kN5';
    const dir = dirWith({
      'public.yml': readFileSync(path.join(REPO_CONFIG, 'public.yml'), 'utf8'),
      'private.yml': `Token:\n  Key:\n    private_key: ${secret}\nPostgresql:\n  Url: mysql://${secret}@db/chat\n`,
    });
    const problems = problemsOf(() => loadConfig({ dir, env: {} }));
    expect(problems.join('\n')).not.toContain(secret);
    expect(problems).toContainEqual(
      expect.stringMatching(
        /^Token\.Key: must be string, got a mapping \(value not shown: a secret\)/,
      ),
    );
    expect(problems).toContainEqual(expect.stringMatching(/^Postgresql\.Url: .*value not shown/));
  });

  it('reports every problem at once, one line per key', () => {
    const err = (() => {
      try {
        loadConfig({
          dir: REPO_CONFIG,
          env: {
            TOKEN_KEY: KEY,
            KAFKA_BROKERS: 'kafka',
            APP_MACHINE_ID: '40',
            RULE_CODE_MARK_DURATION: 'soon',
          },
        });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err.message.split('\n')[0]).toBe('config: 3 problems');
    expect(err.problems).toEqual([
      'App.MachineID: must be at most 31, got 40. Set it in config/app/private.yml or APP_MACHINE_ID.',
      'Kafka.Brokers: "kafka" is not host:port. Example: 127.0.0.1:9092. Set it in config/app/private.yml or KAFKA_BROKERS.',
      'Rule.CodeMarkDuration: "soon" is not a duration. Example: 60s, 1h. Set it in config/app/private.yml or RULE_CODE_MARK_DURATION.',
    ]);
  });

  it('layers public.yml, then private.yml, then the environment', () => {
    const dir = dirWith({
      'public.yml': 'Rule:\n  AccountNumMax: 3\n  CodeLength: 6\nPage:\n  MaxPageSize: 100\n',
      'private.yml': `Token:\n  Key: ${KEY}\nRule:\n  AccountNumMax: 4\n`,
    });
    const config = loadConfig({ dir, env: { RULE_CODE_LENGTH: '8' } });
    expect(config.Rule.AccountNumMax).toBe(4);
    expect(config.Rule.CodeLength).toBe(8);
    expect(config.Page.MaxPageSize).toBe(100);
    expect(config.Page.DefaultPageSize).toBe(10);
    expect(config.Token.Key).toBe(KEY);
  });

  it('reads the architecture short names for connection keys', () => {
    const config = loadConfig({
      dir: REPO_CONFIG,
      env: {
        TOKEN_KEY: KEY,
        DATABASE_URL: 'postgres://root@127.0.0.1:5432/test',
        REDIS_URL: 'redis://127.0.0.1:6379',
        KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
        SMTP_URL: 'smtp://127.0.0.1:2525',
      },
    });
    expect(config.Postgresql.Url).toBe('postgres://root@127.0.0.1:5432/test');
    expect(config.Redis.Url).toBe('redis://127.0.0.1:6379');
    expect(config.Kafka.Brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(config.Email.SmtpUrl).toBe('smtp://127.0.0.1:2525');
  });

  it('leaves connection keys unset by default, which selects the embedded adapters', () => {
    const config = loadConfig({ dir: REPO_CONFIG, env: { TOKEN_KEY: KEY } });
    expect(config.Postgresql.Url).toBeUndefined();
    expect(config.Redis.Url).toBeUndefined();
    expect(config.Kafka.Brokers).toBeUndefined();
    expect(config.Email.SmtpUrl).toBeUndefined();
    expect(config.AliyunOSS.AccessKeyID).toBeUndefined();
  });

  it('gives the spec limits as defaults, durations in milliseconds', () => {
    const c = loadConfig({ dir: REPO_CONFIG, env: { TOKEN_KEY: KEY } });
    expect(c.Rule).toMatchObject({
      PasswordLenMin: 6,
      PasswordLenMax: 32,
      CodeLength: 6,
      UserMarkDuration: 60_000,
      CodeMarkDuration: 3_600_000,
      AccountNumMax: 5,
      BiggestFileSize: 1_024_000,
      BiggestImageSize: 10_485_760,
    });
    expect(c.Token.UserTokenDuration).toBe(86_400_000);
    expect(c.Auto.Retry).toEqual({ Duration: 5000, MaxTimes: 3 });
    expect(c.Limit.APILimit.Email).toEqual([
      { Count: 5, Window: 1000 },
      { Count: 30, Window: 60_000 },
    ]);
    expect(c.Server.DefaultContextTimeout).toBe(10_000);
  });

  it('accepts lists from the environment as YAML', () => {
    const c = loadConfig({
      dir: REPO_CONFIG,
      env: { TOKEN_KEY: KEY, LIMIT_API_LIMIT_UPLOAD: '[{Count: 2, Window: 10s}]' },
    });
    expect(c.Limit.APILimit.Upload).toEqual([{ Count: 2, Window: 10_000 }]);
  });

  it('refuses a minimum above its maximum, naming both keys', () => {
    const problems = problemsOf(() =>
      loadConfig({ dir: REPO_CONFIG, env: { TOKEN_KEY: KEY, RULE_PASSWORD_LEN_MIN: '40' } }),
    );
    expect(problems).toEqual([
      'Rule.PasswordLenMin: 40 is larger than Rule.PasswordLenMax (32). Lower it or raise Rule.PasswordLenMax.',
    ]);
  });

  it('wants all four OSS keys or none', () => {
    const problems = problemsOf(() =>
      loadConfig({
        dir: REPO_CONFIG,
        env: { TOKEN_KEY: KEY, OSS_ENDPOINT: 'oss.example.com', OSS_BUCKET: 'b' },
      }),
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /^AliyunOSS\.AccessKeyID: not set while AliyunOSS\.Endpoint, AliyunOSS\.BucketName are\./,
    );
  });

  it('reports a YAML syntax error with the file name', () => {
    const dir = dirWith({ 'private.yml': 'Token:\n  Key: [unclosed\n' });
    const problems = problemsOf(() => loadConfig({ dir, env: {} }));
    expect(problems[0]).toMatch(/private\.yml: not valid YAML/);
  });

  it('warns about unknown keys instead of failing', () => {
    const dir = dirWith({ 'private.yml': `Token:\n  Key: ${KEY}\n  Kee: x\nTypo: 1\n` });
    const { warnings } = loadConfigWithDetails({ dir, env: {} });
    expect(warnings).toEqual([
      'Token.Kee: unknown key, ignored (a typo?)',
      'Typo: unknown key, ignored (a typo?)',
    ]);
  });

  it('returns a frozen config', () => {
    const c = loadConfig({ dir: REPO_CONFIG, env: { TOKEN_KEY: KEY } });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.Rule)).toBe(true);
    expect(() => {
      (c.Rule as { AccountNumMax: number }).AccountNumMax = 99;
    }).toThrow(TypeError);
  });

  it('redacts secrets for logging', () => {
    const c = loadConfig({
      dir: REPO_CONFIG,
      env: { TOKEN_KEY: KEY, DATABASE_URL: 'postgres://u:pw@h:5432/d' },
    });
    const text = JSON.stringify(redactConfig(c));
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('pw@');
    expect(text).toContain('"Key":"[redacted]"');
  });
});

describe('generated config files', () => {
  it.each(['public', 'private.example'] as const)(
    'config/app/%s.yml is fresh (regenerate with npm run config:example)',
    (file) => {
      const committed = readFileSync(path.join(REPO_CONFIG, `${file}.yml`), 'utf8');
      expect(committed).toBe(renderConfigFile(file));
    },
  );

  it('private.example.yml, copied as private.yml, asks for a key and loads once one is given', () => {
    const dir = dirWith({ 'private.yml': renderConfigFile('private.example') });
    expect(problemsOf(() => loadConfig({ dir, env: {} }))).toEqual([
      expect.stringMatching(/^Token\.Key: not set/),
    ]);
    expect(loadConfig({ dir, env: { TOKEN_KEY: KEY } }).Token.Key).toBe(KEY);
  });

  it('refuses a Server.TrustProxy that is not addresses, ranges or known names', () => {
    const problems = problemsOf(() =>
      loadConfig({ dir: REPO_CONFIG, env: { TOKEN_KEY: KEY, SERVER_TRUST_PROXY: 'everyone' } }),
    );
    expect(problems).toEqual([expect.stringMatching(/^Server\.TrustProxy: "everyone" is not/)]);
    const c = loadConfig({
      dir: REPO_CONFIG,
      env: { TOKEN_KEY: KEY, SERVER_TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8' },
    });
    expect(c.Server.TrustProxy).toBe('loopback, 10.0.0.0/8, fd00::/8');
  });

  it('refuses the example placeholder and predictable keys, naming the fix', () => {
    const weak = [
      'replace-with-at-least-32-random-characters',
      'please-change-me-please-change-me-1234',
      'k'.repeat(40),
      'abababababababababababababababababababab',
      '0123456701234567012345670123456701234567',
    ];
    for (const key of weak) {
      const problems = problemsOf(() => loadConfig({ dir: REPO_CONFIG, env: { TOKEN_KEY: key } }));
      expect(problems).toEqual([expect.stringMatching(/^Token\.Key: .*openssl rand -base64 32/)]);
    }
    // What the fix prints, and random hex of the same length, pass.
    for (const key of [
      randomBytes(32).toString('base64'),
      randomBytes(16).toString('hex'),
      randomBytes(32).toString('base64url'),
    ]) {
      expect(loadConfig({ dir: REPO_CONFIG, env: { TOKEN_KEY: key } }).Token.Key).toBe(key);
    }
  });

  it('public.yml loads to the same values as the schema defaults', () => {
    const empty = dirWith({});
    const fromFile = loadConfig({ dir: REPO_CONFIG, env: { TOKEN_KEY: KEY } });
    const fromDefaults = loadConfig({ dir: empty, env: { TOKEN_KEY: KEY } });
    expect(fromFile).toEqual(fromDefaults);
  });
});
