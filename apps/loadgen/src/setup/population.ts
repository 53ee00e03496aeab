import { setTimeout as sleep } from 'node:timers/promises';
import { type ChatApi, ChatError, type CallOptions, type HttpMethod } from '@chat/client';
import { ErrorCode } from '@chat/protocol';
import type { Topology } from '../cli/args';
import type { CodeSource } from './code-source';

/** One account the run sends from: its id and account token (docs/api.md §1.4). */
export interface LoadAccount {
  id: number;
  name: string;
  token: string;
}

/** A conversation of the run: its relation id and members (indexes into `accounts`). */
export interface LoadRelation {
  id: number;
  members: number[];
}

/** The accounts of a run, their conversations, and the one each account sends into. */
export interface Population {
  accounts: LoadAccount[];
  relations: LoadRelation[];
  /** Per account: index into `relations`. */
  sendsInto: number[];
}

export interface PopulationOptions {
  accounts: number;
  accountsPerUser: number;
  topology: Topology;
  groupSize: number;
  /** Makes emails and names unique to this run. */
  tag: string;
  /** REST calls in flight at once. */
  concurrency?: number;
  progress?: (line: string) => void;
}

const PASSWORD = 'loadgen-secret';

/** How long a set-up call waits out 1004 (rate limit) refusals before giving up. */
const PATIENCE_MS = 120_000;

/**
 * The set-up's REST calls: the SDK's `ChatApi` (libs/client), resolving with `data` and
 * rejecting with a `ChatError` on an error code. A 1004 is waited out and retried, a second
 * apart, up to `PATIENCE_MS`: set-up traffic of a load run is bursty, and a limit sized for
 * one person refuses some of it.
 */
async function call<T = unknown>(
  api: ChatApi,
  method: HttpMethod,
  path: string,
  options: CallOptions,
): Promise<T> {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    try {
      return await api.request<T>(method, path, options);
    } catch (err) {
      const limited =
        err instanceof ChatError &&
        err.reason === 'reply' &&
        err.code === ErrorCode.TooManyRequests;
      if (!limited || Date.now() > deadline) {
        throw err instanceof ChatError
          ? new ChatError(err.code, `${method} ${path}: ${err.message}`, err.reason)
          : err;
      }
      await sleep(1000);
    }
  }
}

/**
 * Registers users as a person would (code mail, register), creates their accounts, then
 * befriends them in pairs (each pair one friendship) or builds groups (the first member of
 * each befriends the others, creates the group and invites them: docs/api.md §10 invites only
 * friends).
 */
export async function createPopulation(
  api: ChatApi,
  codes: CodeSource,
  opts: PopulationOptions,
): Promise<Population> {
  const concurrency = opts.concurrency ?? 8;
  const users = Math.ceil(opts.accounts / opts.accountsPerUser);
  const perUser = await mapLimit(range(users), concurrency, async (u) => {
    const email = `lg-${opts.tag}-${u}@example.com`;
    const userToken = await registerUser(api, codes, email);
    const count = Math.min(opts.accountsPerUser, opts.accounts - u * opts.accountsPerUser);
    const accounts: LoadAccount[] = [];
    // One user's accounts one after the other: the per-user account limit is checked in order.
    for (let k = 0; k < count; k++) {
      const name = `lg${opts.tag}u${u}a${k}`;
      const acc = await call<{ id: number; account_token: { token: string } }>(
        api,
        'POST',
        '/api/account/create',
        { token: userToken, body: { name, gender: '未知', signature: 'load generator' } },
      );
      accounts.push({ id: acc.id, name, token: acc.account_token.token });
    }
    return accounts;
  });
  const accounts = perUser.flat();
  opts.progress?.(`${users} users, ${accounts.length} accounts created`);

  const relations: LoadRelation[] = [];
  const sendsInto: number[] = new Array(accounts.length);
  if (opts.topology === 'pairs') {
    const pairs = range(accounts.length / 2).map((p) => [2 * p, 2 * p + 1]);
    const ids = await mapLimit(pairs, concurrency, ([a, b]) =>
      befriend(api, accounts[a], accounts[b]),
    );
    pairs.forEach((members, p) => {
      relations.push({ id: ids[p], members });
      for (const m of members) sendsInto[m] = p;
    });
    opts.progress?.(`${pairs.length} friendships made`);
  } else {
    const groups = range(accounts.length / opts.groupSize).map((g) =>
      range(opts.groupSize).map((i) => g * opts.groupSize + i),
    );
    const ids = await mapLimit(groups, concurrency, async (members) => {
      const [leader, ...others] = members.map((m) => accounts[m]);
      for (const other of others) await befriend(api, leader, other);
      const group = await call<{ relation_id: number }>(api, 'POST', '/api/group/create', {
        token: leader.token,
        body: { name: `${leader.name}g`, description: 'load generator group' },
      });
      await call(api, 'POST', '/api/group/invite', {
        token: leader.token,
        body: { relation_id: group.relation_id, account_id: others.map((o) => o.id) },
      });
      return group.relation_id;
    });
    groups.forEach((members, g) => {
      relations.push({ id: ids[g], members });
      for (const m of members) sendsInto[m] = g;
    });
    opts.progress?.(`${groups.length} groups of ${opts.groupSize} made`);
  }
  return { accounts, relations, sendsInto };
}

/** Asks for a code (waiting out 2003 / 1004, a second apart), reads it, registers. */
async function registerUser(api: ChatApi, codes: CodeSource, email: string): Promise<string> {
  const retryLater: number[] = [ErrorCode.EmailSendTooOften, ErrorCode.TooManyRequests];
  const deadline = Date.now() + 120_000;
  let since: number;
  for (;;) {
    since = Date.now();
    const sent = await api.call('POST', '/api/email/send', { body: { email } });
    if (sent.status_code === 0) break;
    if (!retryLater.includes(sent.status_code) || Date.now() > deadline) {
      throw new ChatError(sent.status_code, `POST /api/email/send: ${sent.status_msg}`);
    }
    await sleep(1000);
  }
  const code = await codes.codeFor(email, since);
  const reg = await call<{ user_token: { token: string } }>(api, 'POST', '/api/user/register', {
    body: { email, password: PASSWORD, code },
  });
  return reg.user_token.token;
}

/** `a` applies to `b`, `b` accepts; returns the friendship's relation id. */
async function befriend(api: ChatApi, a: LoadAccount, b: LoadAccount): Promise<number> {
  await call(api, 'POST', '/api/application/create', {
    token: a.token,
    body: { account_id: b.id, apply_msg: 'load generator' },
  });
  await call(api, 'PUT', '/api/application/accept', {
    token: b.token,
    body: { account_id: a.id },
  });
  const info = await call<{ relation_id: number }>(api, 'GET', '/api/account/info', {
    token: a.token,
    query: { account_id: b.id },
  });
  return info.relation_id;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Maps with at most `limit` calls pending; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(range(Math.min(limit, items.length)).map(lane));
  return out;
}
