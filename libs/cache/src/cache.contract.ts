import { type CacheAdapters } from './create-cache';
import { type EmailCodeOptions, type EmailCodeStore } from './email-code-store';
import { type MembersLoader } from './membership-cache';
import { type SweptNode } from './presence';
import { type RateRule } from './rate-limiter';
import { type TokenEpoch, type TokenEpochLoader } from './token-epoch-cache';

/** What an adapter's spec supplies to run the shared cases against it. */
export interface CacheContractHarness {
  /** The adapters under test, built once per suite; cases use keys of their own. */
  adapters: CacheAdapters;
  /** Resolves once at least `ms` have passed on the clock the adapters' TTLs use. */
  elapse(ms: number): Promise<void>;
  /** Resolves once `check` holds, letting the adapters' clock run; rejects past a deadline. */
  eventually(check: () => Promise<boolean>, what: string): Promise<void>;
}

/** Short TTL for cases that watch something expire (real milliseconds against Redis). */
const SHORT_MS = 300;
/** Margin past a TTL: Redis expires a key only once its expiry time has been passed. */
const PAST_MS = 50;
const LONG_MS = 60_000;

/**
 * Cases every cache adapter passes (docs/development.md §7): email codes (docs/api.md §6), rate limits
 * (docs/api.md §1.5), the generic cache with its lock, presence and the membership cache
 * (docs/data-model.md §4). `setup` is called inside
 * each case, after the spec's `beforeAll` has built the harness.
 */
export function cacheContract(setup: () => CacheContractHarness): void {
  let counter = 0;
  const unique = (what: string) => `${what}-${++counter}-${Date.now().toString(36)}`;
  const email = () => `${unique('user')}@example.com`;
  const codes = (opts: Partial<EmailCodeOptions> = {}): EmailCodeStore =>
    setup().adapters.codes({
      codeLength: 6,
      codeTtlMs: LONG_MS,
      resendIntervalMs: LONG_MS,
      ...opts,
    });
  const issued = async (store: EmailCodeStore, address: string): Promise<string> => {
    const result = await store.issue(address);
    if (!('code' in result)) throw new Error(`expected a code, got ${JSON.stringify(result)}`);
    return result.code;
  };
  /** A code of the same length that differs from `code` in its first digit. */
  const wrong = (code: string) => `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;
  const takeMany = async (key: string, rule: RateRule, n: number) => {
    const decisions = [];
    for (let i = 0; i < n; i++) decisions.push(await setup().adapters.limiter.take(key, rule));
    return decisions;
  };
  const allowedCount = (decisions: { allowed: boolean }[]) =>
    decisions.filter((d) => d.allowed).length;

  describe('email codes', () => {
    it('issues codes of exactly codeLength decimal digits', async () => {
      for (const codeLength of [4, 6, 12]) {
        const code = await issued(codes({ codeLength }), email());
        expect(code).toMatch(new RegExp(`^[0-9]{${codeLength}}$`));
      }
    });

    it('refuses a second code within the resend interval and says how long to wait', async () => {
      const store = codes({ resendIntervalMs: LONG_MS });
      const address = email();
      await issued(store, address);
      const again = await store.issue(address);
      expect(again).toEqual({ tooSoon: true, retryAfterMs: expect.any(Number) });
      const { retryAfterMs } = again as { retryAfterMs: number };
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(retryAfterMs).toBeLessThanOrEqual(LONG_MS);
    });

    it('keeps the live code valid when a second issue is refused', async () => {
      const store = codes();
      const address = email();
      const code = await issued(store, address);
      expect('tooSoon' in (await store.issue(address))).toBe(true);
      expect(await store.check(address, code)).toBe(true);
    });

    it('replaces the old code with a new one once the resend interval is over', async () => {
      // 12 digits: the two codes coincide with probability 1e-12.
      const store = codes({ codeLength: 12, resendIntervalMs: SHORT_MS });
      const address = email();
      const first = await issued(store, address);
      let second = '';
      await setup().eventually(async () => {
        const result = await store.issue(address);
        if ('code' in result) second = result.code;
        return 'code' in result;
      }, 'the resend interval to end');
      expect(second).not.toBe(first);
      expect(await store.check(address, first)).toBe(false);
      expect(await store.check(address, second)).toBe(true);
    });

    it('accepts a code once only', async () => {
      const store = codes();
      const address = email();
      const code = await issued(store, address);
      expect(await store.check(address, code)).toBe(true);
      expect(await store.check(address, code)).toBe(false);
    });

    it('still accepts the right code after four wrong ones', async () => {
      const store = codes();
      const address = email();
      const code = await issued(store, address);
      for (let i = 0; i < 4; i++) expect(await store.check(address, wrong(code))).toBe(false);
      expect(await store.check(address, code)).toBe(true);
    });

    it('discards the code at the fifth wrong check, so the right one then fails', async () => {
      const store = codes();
      const address = email();
      const code = await issued(store, address);
      for (let i = 0; i < 5; i++) expect(await store.check(address, wrong(code))).toBe(false);
      expect(await store.check(address, code)).toBe(false);
    });

    it('rejects any code for an address that has none', async () => {
      expect(await codes().check(email(), '123456')).toBe(false);
    });

    it('treats addresses that differ only in case as one address', async () => {
      const store = codes();
      const name = unique('Mixed');
      const code = await issued(store, `${name}@Example.COM`);
      expect('tooSoon' in (await store.issue(`${name.toLowerCase()}@example.com`))).toBe(true);
      expect(await store.check(`${name.toUpperCase()}@EXAMPLE.com`, code)).toBe(true);
    });

    it('rejects a code once codeTtlMs has passed', async () => {
      const store = codes({ codeTtlMs: SHORT_MS, resendIntervalMs: 0 });
      const address = email();
      const code = await issued(store, address);
      await setup().elapse(SHORT_MS + PAST_MS);
      expect(await store.check(address, code)).toBe(false);
    });

    it('issues exactly one code to ten concurrent requests for one address', async () => {
      const store = codes();
      const address = email();
      const results = await Promise.all(Array.from({ length: 10 }, () => store.issue(address)));
      const granted = results.flatMap((r) => ('code' in r ? [r.code] : []));
      expect(granted).toHaveLength(1);
      expect(results.filter((r) => 'tooSoon' in r)).toHaveLength(9);
      expect(await store.check(address, granted[0])).toBe(true);
    });

    it('shares codes between stores made by one set of adapters', async () => {
      const address = email();
      const code = await issued(codes(), address);
      expect(await codes().check(address, code)).toBe(true);
    });
  });

  describe('rate limits', () => {
    it('lets a token bucket admit its size at once, then refuses with the wait for a token', async () => {
      const rule = { bucket: 3, refill: 1, intervalMs: LONG_MS, cost: 1 };
      const decisions = await takeMany(unique('ip'), rule, 4);
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
      expect(decisions[0].retryAfterMs).toBe(0);
      expect(decisions[3].retryAfterMs).toBeGreaterThan(0);
      expect(decisions[3].retryAfterMs).toBeLessThanOrEqual(LONG_MS);
    });

    it('charges cost tokens per request', async () => {
      const rule = { bucket: 5, refill: 1, intervalMs: LONG_MS, cost: 2 };
      const decisions = await takeMany(unique('ip'), rule, 3);
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
    });

    it('refills a token bucket so that a request passes once retryAfterMs has elapsed', async () => {
      const { limiter } = setup().adapters;
      const rule = { bucket: 2, refill: 1, intervalMs: SHORT_MS, cost: 1 };
      const key = unique('ip');
      const decisions = await takeMany(key, rule, 3);
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
      expect(decisions[2].retryAfterMs).toBeLessThanOrEqual(SHORT_MS);
      await setup().elapse(decisions[2].retryAfterMs);
      expect((await limiter.take(key, rule)).allowed).toBe(true);
      expect((await limiter.take(key, rule)).allowed).toBe(false);
    });

    it('limits each key on its own', async () => {
      const { limiter } = setup().adapters;
      const rule = { bucket: 1, refill: 1, intervalMs: LONG_MS, cost: 1 };
      const [a, b] = [unique('ip'), unique('ip')];
      expect((await limiter.take(a, rule)).allowed).toBe(true);
      expect((await limiter.take(a, rule)).allowed).toBe(false);
      expect((await limiter.take(b, rule)).allowed).toBe(true);
    });

    it('refuses the sixth request within a second under "5 per 1 s and 30 per 1 min"', async () => {
      const rule = [
        { Count: 5, Window: 1000 },
        { Count: 30, Window: 60_000 },
      ];
      const decisions = await takeMany(unique('email'), rule, 6);
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
      expect(decisions[5].retryAfterMs).toBeGreaterThan(0);
      expect(decisions[5].retryAfterMs).toBeLessThanOrEqual(1000);
    });

    it('checks windows without recording, and refuses once takes filled them', async () => {
      const { limiter } = setup().adapters;
      const rule = [{ Count: 2, Window: LONG_MS }];
      const key = unique('login');
      for (let i = 0; i < 5; i++) expect((await limiter.check(key, rule)).allowed).toBe(true);
      expect((await limiter.take(key, rule)).allowed).toBe(true);
      expect((await limiter.check(key, rule)).allowed).toBe(true);
      expect((await limiter.take(key, rule)).allowed).toBe(true);
      const refused = await limiter.check(key, rule);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(LONG_MS);
      expect((await limiter.check(key, [])).allowed).toBe(true); // [] disables
    });

    it('admits a request only when every window allows it', async () => {
      const { limiter } = setup().adapters;
      const rule = [
        { Count: 2, Window: SHORT_MS },
        { Count: 3, Window: LONG_MS },
      ];
      const key = unique('upload');
      const first = await takeMany(key, rule, 3);
      expect(first.map((d) => d.allowed)).toEqual([true, true, false]);
      expect(first[2].retryAfterMs).toBeLessThanOrEqual(SHORT_MS);
      // The windows slide: the wait ends when the oldest request leaves the short window.
      await setup().elapse(first[2].retryAfterMs);
      expect((await limiter.take(key, rule)).allowed).toBe(true);
      await setup().elapse(SHORT_MS + PAST_MS);
      // The short window is empty again, but the long one holds three requests.
      const refused = await limiter.take(key, rule);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeGreaterThan(SHORT_MS);
    });

    it('always allows a disabled limit', async () => {
      const disabled: RateRule[] = [
        { bucket: 0, refill: 5, intervalMs: 1000, cost: 1 },
        { bucket: 10, refill: 5, intervalMs: 1000, cost: 0 },
        { bucket: 10, refill: 0, intervalMs: 1000, cost: 1 },
        [],
        [{ Count: 0, Window: 1000 }],
      ];
      for (const rule of disabled) {
        const decisions = await takeMany(unique('off'), rule, 20);
        expect(decisions).toEqual(Array(20).fill({ allowed: true, retryAfterMs: 0 }));
      }
    });

    it('ignores a window with a count of 0 while the others still apply', async () => {
      const rule = [
        { Count: 0, Window: 1000 },
        { Count: 1, Window: LONG_MS },
      ];
      const decisions = await takeMany(unique('upload'), rule, 2);
      expect(decisions.map((d) => d.allowed)).toEqual([true, false]);
    });

    it('never admits more than the limit to concurrent requests at the edge', async () => {
      const { limiter } = setup().adapters;
      const burst = (key: string, rule: RateRule) =>
        Promise.all(Array.from({ length: 20 }, () => limiter.take(key, rule)));
      const bucket = { bucket: 3, refill: 1, intervalMs: LONG_MS, cost: 1 };
      expect(allowedCount(await burst(unique('ip'), bucket))).toBe(3);
      expect(allowedCount(await burst(unique('email'), [{ Count: 5, Window: LONG_MS }]))).toBe(5);
    });
  });

  describe('cache', () => {
    it('returns what was stored as JSON, and nothing for an unknown key', async () => {
      const { cache } = setup().adapters;
      const key = unique('value');
      const value = { msg_id: 42, create_at: '2024-01-01T00:00:00.000Z', tags: ['a', null] };
      await cache.set(key, value, LONG_MS);
      expect(await cache.get(key)).toEqual(value);
      expect(await cache.get(unique('missing'))).toBeUndefined();
    });

    it('replaces a value on set and removes it on del', async () => {
      const { cache } = setup().adapters;
      const key = unique('value');
      await cache.set(key, [1], LONG_MS);
      await cache.set(key, [2], LONG_MS);
      expect(await cache.get(key)).toEqual([2]);
      expect(await cache.del(key)).toBe(true);
      expect(await cache.get(key)).toBeUndefined();
      expect(await cache.del(key)).toBe(false);
    });

    it('forgets a value once its ttlMs has passed', async () => {
      const { cache } = setup().adapters;
      const key = unique('value');
      await cache.set(key, 'soon gone', SHORT_MS);
      expect(await cache.get(key)).toBe('soon gone');
      await setup().eventually(async () => (await cache.get(key)) === undefined, 'expiry');
    });

    it('rejects a ttlMs that is not positive', async () => {
      const { cache } = setup().adapters;
      await expect(cache.set(unique('value'), 1, 0)).rejects.toThrow(RangeError);
      await expect(cache.setIfAbsent(unique('value'), 1, -5)).rejects.toThrow(RangeError);
    });

    it('stores with setIfAbsent only while the key is absent', async () => {
      const { cache } = setup().adapters;
      const key = unique('dedup');
      expect(await cache.setIfAbsent(key, { msg_id: 1 }, SHORT_MS)).toBe(true);
      expect(await cache.setIfAbsent(key, { msg_id: 2 }, LONG_MS)).toBe(false);
      expect(await cache.get(key)).toEqual({ msg_id: 1 });
      await setup().eventually(
        () => cache.setIfAbsent(key, { msg_id: 3 }, LONG_MS),
        'the first value to expire',
      );
      expect(await cache.get(key)).toEqual({ msg_id: 3 });
    });

    it('lets exactly one of ten concurrent setIfAbsent calls win', async () => {
      const { cache } = setup().adapters;
      const key = unique('lock');
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => cache.setIfAbsent(key, `holder-${i}`, LONG_MS)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await cache.get(key)).toBe(`holder-${wins.indexOf(true)}`);
    });

    it('releases a lock only for its holder', async () => {
      const { cache } = setup().adapters;
      const key = unique('lock');
      expect(await cache.setIfAbsent(key, 'node-a', LONG_MS)).toBe(true);
      expect(await cache.releaseLock(key, 'node-b')).toBe(false);
      expect(await cache.get(key)).toBe('node-a');
      expect(await cache.releaseLock(key, 'node-a')).toBe(true);
      expect(await cache.get(key)).toBeUndefined();
      expect(await cache.releaseLock(key, 'node-a')).toBe(false);
      expect(await cache.setIfAbsent(key, 'node-b', LONG_MS)).toBe(true);
    });

    it('never lets a holder whose lock expired release the next holder’s lock', async () => {
      const { cache } = setup().adapters;
      const key = unique('lock');
      expect(await cache.setIfAbsent(key, 'node-a', SHORT_MS)).toBe(true);
      await setup().eventually(
        () => cache.setIfAbsent(key, 'node-b', LONG_MS),
        'the first lock to expire',
      );
      expect(await cache.releaseLock(key, 'node-a')).toBe(false);
      expect(await cache.get(key)).toBe('node-b');
    });
  });

  describe('presence', () => {
    let nextAccount = Math.floor(Math.random() * 1e9) * 1000;
    const account = () => ++nextAccount;
    const node = () => unique('gw');
    const online = async (accountId: number) =>
      ((await setup().adapters.presence.lookup([accountId])).get(accountId) ?? [])
        .map((e) => `${e.connId}@${e.nodeId}`)
        .sort();

    it('lists the connections added on a heart-beating node, per account', async () => {
      const { presence } = setup().adapters;
      const [a, b, gw] = [account(), account(), node()];
      await presence.heartbeat(gw, LONG_MS);
      await presence.add(a, 'c1', gw);
      await presence.add(a, 'c2', gw);
      await presence.add(b, 'c3', gw);
      const found = await presence.lookup([a, b, a]);
      expect([...found.keys()].sort()).toEqual([a, b].sort());
      expect(await online(a)).toEqual([`c1@${gw}`, `c2@${gw}`]);
      expect(found.get(b)).toEqual([{ connId: 'c3', nodeId: gw }]);
    });

    it('answers every account asked for, with no entries for one that is offline', async () => {
      const { presence } = setup().adapters;
      const a = account();
      const found = await presence.lookup([a]);
      expect(found.get(a)).toEqual([]);
      expect((await presence.lookup([])).size).toBe(0);
    });

    it('spans nodes and forgets a removed connection only', async () => {
      const { presence } = setup().adapters;
      const [a, gw1, gw2] = [account(), node(), node()];
      await presence.heartbeat(gw1, LONG_MS);
      await presence.heartbeat(gw2, LONG_MS);
      await presence.add(a, 'c1', gw1);
      await presence.add(a, 'c2', gw2);
      expect(await online(a)).toEqual([`c1@${gw1}`, `c2@${gw2}`]);
      await presence.remove(a, 'c1');
      await presence.remove(a, 'never-added');
      expect(await online(a)).toEqual([`c2@${gw2}`]);
    });

    it('counts nothing on a node that never beat', async () => {
      const { presence } = setup().adapters;
      const a = account();
      await presence.add(a, 'c1', node());
      expect(await online(a)).toEqual([]);
    });

    it('leaves out the entries of a node whose heartbeat expired, for good', async () => {
      const { presence } = setup().adapters;
      const [a, dead, live] = [account(), node(), node()];
      await presence.heartbeat(dead, SHORT_MS);
      await presence.heartbeat(live, LONG_MS);
      await presence.add(a, 'on-dead', dead);
      await presence.add(a, 'on-live', live);
      expect(await online(a)).toEqual([`on-dead@${dead}`, `on-live@${live}`]);
      await setup().eventually(
        async () => (await online(a)).length === 1,
        'the heartbeat to expire',
      );
      expect(await online(a)).toEqual([`on-live@${live}`]);
      // The lookup removed the dead node's entry: a later beat of that node does not revive it.
      await presence.heartbeat(dead, LONG_MS);
      expect(await online(a)).toEqual([`on-live@${live}`]);
    });

    it('says whether a node was alive when it beats', async () => {
      const { presence } = setup().adapters;
      const [gw, other] = [node(), node()];
      expect(await presence.heartbeat(gw, SHORT_MS)).toBe(false); // first beat
      expect(await presence.heartbeat(gw, SHORT_MS)).toBe(true);
      await presence.heartbeat(other, LONG_MS);
      await setup().elapse(SHORT_MS + PAST_MS);
      // Expired in between (or lost by the store): the node announces its connections again.
      expect(await presence.heartbeat(gw, LONG_MS)).toBe(false);
      expect(await presence.heartbeat(other, LONG_MS)).toBe(true);
      await presence.dropNode(gw);
      expect(await presence.heartbeat(gw, LONG_MS)).toBe(false);
    });

    it('keeps a node online while it beats within its TTL', async () => {
      const { presence } = setup().adapters;
      const [a, gw] = [account(), node()];
      await presence.heartbeat(gw, SHORT_MS * 2);
      await presence.add(a, 'c1', gw);
      for (let i = 0; i < 3; i++) {
        await setup().elapse(SHORT_MS);
        await presence.heartbeat(gw, SHORT_MS * 2);
      }
      expect(await online(a)).toEqual([`c1@${gw}`]);
    });

    it('drops every entry of a node at once on dropNode, and only that node', async () => {
      const { presence } = setup().adapters;
      const [a, b, gw, other] = [account(), account(), node(), node()];
      await presence.heartbeat(gw, LONG_MS);
      await presence.heartbeat(other, LONG_MS);
      await presence.add(a, 'c1', gw);
      await presence.add(b, 'c2', gw);
      await presence.add(b, 'c3', other);
      await presence.dropNode(gw);
      expect(await online(a)).toEqual([]);
      expect(await online(b)).toEqual([`c3@${other}`]);
      // A node restarting with the same id starts empty.
      await presence.heartbeat(gw, LONG_MS);
      expect(await online(a)).toEqual([]);
      await presence.add(a, 'c4', gw);
      expect(await online(a)).toEqual([`c4@${gw}`]);
    });

    it('reads the presence state with the entries, and starts a rebuild only for a lapsed node', async () => {
      const { presence } = setup().adapters;
      const [a, gw, fresh] = [account(), node(), node()];
      await presence.heartbeat(gw, SHORT_MS);
      await presence.add(a, 'c1', gw);
      const before = await presence.snapshot([a]);
      expect(before.online.get(a)).toEqual([{ connId: 'c1', nodeId: gw }]);
      expect(before.state.lost).toBe(false);
      // A starting node (no rebuild asked) and a node still alive start nothing.
      await presence.heartbeat(fresh, LONG_MS, {});
      await presence.heartbeat(gw, SHORT_MS, { rebuildMs: LONG_MS });
      expect((await presence.snapshot([])).state.rebuildingMs).toBe(0);
      // A node that beat before and expired (or lost its entries) does.
      await setup().elapse(SHORT_MS + PAST_MS);
      expect(await presence.heartbeat(gw, SHORT_MS, { rebuildMs: SHORT_MS })).toBe(false);
      const during = (await presence.snapshot([a])).state;
      expect(during.rebuildingMs).toBeGreaterThan(0);
      expect(during.rebuildingMs).toBeLessThanOrEqual(SHORT_MS);
      await setup().elapse(SHORT_MS + PAST_MS);
      expect((await presence.snapshot([])).state).toEqual({ lost: false, rebuildingMs: 0 });
    });

    it('names the accounts whose entries dropNode removed, each once', async () => {
      const { presence } = setup().adapters;
      const [a, b, c, gw, other] = [account(), account(), account(), node(), node()];
      await presence.heartbeat(gw, LONG_MS);
      await presence.heartbeat(other, LONG_MS);
      await presence.add(a, 'c1', gw);
      await presence.add(a, 'c2', gw);
      await presence.add(b, 'c3', gw);
      await presence.add(c, 'c4', other);
      expect((await presence.dropNode(gw)).sort()).toEqual([a, b].sort());
      expect(await presence.dropNode(gw)).toEqual([]);
      expect(await online(c)).toEqual([`c4@${other}`]);
    });

    describe('sweeping dead nodes', () => {
      /** What `sweepDead` returned for the nodes of this case (the store is shared). */
      const mine = (swept: SweptNode[], nodes: string[]) =>
        Object.fromEntries(
          swept
            .filter((s) => nodes.includes(s.nodeId))
            .map((s) => [s.nodeId, [...s.accountIds].sort((x, y) => x - y)]),
        );

      it('removes a dead node’s entries once and names their accounts, even after a lookup dropped them', async () => {
        const { presence } = setup().adapters;
        const [a, b, c, dead, live] = [account(), account(), account(), node(), node()];
        await presence.heartbeat(dead, SHORT_MS);
        await presence.heartbeat(live, LONG_MS);
        await presence.add(a, 'a-dead', dead);
        await presence.add(b, 'b-dead', dead);
        await presence.add(b, 'b-live', live);
        await presence.add(c, 'c-live', live);
        expect(mine(await presence.sweepDead(live, LONG_MS), [dead, live])).toEqual({});
        await setup().elapse(SHORT_MS + PAST_MS);
        // A lookup meets the dead entry of a first: the sweep still names a.
        expect(await online(a)).toEqual([]);
        const swept = mine(await presence.sweepDead(live, LONG_MS), [dead, live]);
        expect(swept).toEqual({ [dead]: [a, b].sort((x, y) => x - y) });
        expect(await online(b)).toEqual([`b-live@${live}`]);
        expect(await online(c)).toEqual([`c-live@${live}`]);
        // Swept: not again, and its later restart with the same id starts empty.
        expect(mine(await presence.sweepDead(live, LONG_MS), [dead, live])).toEqual({});
        await presence.heartbeat(dead, LONG_MS);
        expect(await online(a)).toEqual([]);
        expect(await presence.dropNode(dead)).toEqual([]);
      });

      it('never sweeps a live node, the caller’s own, or a node that never beat', async () => {
        const { presence } = setup().adapters;
        const [a, self, live, silent] = [account(), node(), node(), node()];
        await presence.heartbeat(self, SHORT_MS);
        await presence.heartbeat(live, SHORT_MS * 4);
        await presence.add(a, 'on-self', self);
        await presence.add(a, 'on-live', live);
        await presence.add(a, 'on-silent', silent);
        await setup().elapse(SHORT_MS + PAST_MS);
        expect(mine(await presence.sweepDead(self, LONG_MS), [self, live, silent])).toEqual({});
        // The node itself beats again and finds its entries where it left them.
        await presence.heartbeat(self, LONG_MS);
        await presence.heartbeat(live, LONG_MS);
        expect(await presence.dropNode(self)).toEqual([a]);
        expect(await online(a)).toEqual([`on-live@${live}`]);
      });

      it('does not sweep a dead node that started again with the same id', async () => {
        const { presence } = setup().adapters;
        const [a, b, gw, other] = [account(), account(), node(), node()];
        await presence.heartbeat(gw, SHORT_MS);
        await presence.add(a, 'before-crash', gw);
        await setup().elapse(SHORT_MS + PAST_MS);
        // The restart: its own dropNode names a, then it beats and takes connections.
        expect(await presence.dropNode(gw)).toEqual([a]);
        await presence.heartbeat(gw, LONG_MS);
        await presence.add(b, 'after-restart', gw);
        await presence.heartbeat(other, LONG_MS);
        expect(mine(await presence.sweepDead(other, LONG_MS), [gw, other])).toEqual({});
        expect(await online(b)).toEqual([`after-restart@${gw}`]);
      });

      it('lets one of several concurrent sweeps take each dead node', async () => {
        const { presence } = setup().adapters;
        const [dead, s1, s2, s3] = [node(), node(), node(), node()];
        const accounts = Array.from({ length: 1200 }, () => account());
        await presence.heartbeat(dead, SHORT_MS);
        await Promise.all(accounts.map((a, i) => presence.add(a, `c${i}`, dead)));
        await setup().elapse(SHORT_MS + PAST_MS);
        const results = await Promise.all([s1, s2, s3].map((s) => presence.sweepDead(s, LONG_MS)));
        const taken = results.map((r) => mine(r, [dead])[dead]).filter((ids) => ids);
        expect(taken).toHaveLength(1);
        expect(taken[0]).toEqual([...accounts].sort((x, y) => x - y));
        const after = await presence.lookup(accounts);
        expect([...after.values()].filter((entries) => entries.length > 0)).toEqual([]);
      });
    });

    it('drops a node holding more connections than one removal round takes', async () => {
      const { presence } = setup().adapters;
      const gw = node();
      await presence.heartbeat(gw, LONG_MS);
      const accounts = Array.from({ length: 1200 }, () => account());
      await Promise.all(accounts.map((a, i) => presence.add(a, `c${i}`, gw)));
      expect((await presence.lookup(accounts.slice(0, 3))).get(accounts[0])).toHaveLength(1);
      await presence.dropNode(gw);
      await presence.heartbeat(gw, LONG_MS);
      const after = await presence.lookup(accounts);
      expect([...after.values()].filter((entries) => entries.length > 0)).toEqual([]);
    });
  });

  describe('membership cache', () => {
    let nextRelation = Math.floor(Math.random() * 1e9) * 1000;
    const relation = () => ++nextRelation;
    const membership = () => setup().adapters.membership({ ttlMs: LONG_MS });
    /** A loader over a mutable member list that counts its calls. */
    const source = (initial: number[]) => {
      const state = { members: initial, loads: 0 };
      const load: MembersLoader = async () => {
        state.loads += 1;
        return [...state.members];
      };
      return { state, load };
    };

    it('loads a relation once, then answers from the cache', async () => {
      const cache = membership();
      const r = relation();
      const { state, load } = source([3, 1, 2]);
      expect(await cache.members(r, load)).toEqual([1, 2, 3]);
      expect(await cache.isMember(r, 2, load)).toBe(true);
      expect(await cache.isMember(r, 4, load)).toBe(false);
      expect(await membership().members(r, load)).toEqual([1, 2, 3]);
      expect(state.loads).toBe(1);
    });

    it('caches a relation without members too', async () => {
      const cache = membership();
      const r = relation();
      const { state, load } = source([]);
      expect(await cache.isMember(r, 1, load)).toBe(false);
      expect(await cache.members(r, load)).toEqual([]);
      expect(state.loads).toBe(1);
    });

    it('reloads after invalidate, and only the relations invalidated', async () => {
      const cache = membership();
      const [r1, r2] = [relation(), relation()];
      const one = source([1]);
      const two = source([2]);
      await cache.members(r1, one.load);
      await cache.members(r2, two.load);
      one.state.members = [1, 5];
      two.state.members = [2, 6];
      await cache.invalidate([r1]);
      expect(await cache.isMember(r1, 5, one.load)).toBe(true);
      expect(await cache.isMember(r2, 6, two.load)).toBe(false);
      expect([one.state.loads, two.state.loads]).toEqual([2, 1]);
    });

    it('never caches a list loaded before an invalidation that ran during the load', async () => {
      const cache = membership();
      const r = relation();
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      // The load reads the old list, then the change and its invalidation happen, then the
      // load finishes: its stale result must not be what later readers see.
      let started = false;
      const stale: MembersLoader = async () => {
        started = true;
        await gate;
        return [1, 2];
      };
      const loading = cache.members(r, stale);
      await setup().eventually(async () => started, 'the load to start');
      await cache.invalidate([r]);
      release();
      expect(await loading).toEqual([1, 2]);
      const fresh = source([1]);
      expect(await cache.isMember(r, 2, fresh.load)).toBe(false);
      expect(fresh.state.loads).toBe(1);
    });

    it('drops a list once its ttlMs has passed', async () => {
      const cache = setup().adapters.membership({ ttlMs: SHORT_MS });
      const r = relation();
      const { state, load } = source([1]);
      await cache.members(r, load);
      await setup().elapse(SHORT_MS + PAST_MS);
      await cache.members(r, load);
      expect(state.loads).toBe(2);
    });

    it('refuses a loaded account id that is not a positive integer', async () => {
      const cache = membership();
      await expect(cache.members(relation(), async () => [1, 0])).rejects.toThrow(TypeError);
    });

    it('moves a relation’s version with each invalidate of it, and with nothing else', async () => {
      const cache = membership();
      const [r1, r2] = [relation(), relation()];
      const v1 = await cache.version(r1);
      const v2 = await cache.version(r2);
      await cache.members(r1, source([1]).load);
      expect(await cache.version(r1)).toBe(v1);
      await cache.invalidate([r1]);
      const moved = await cache.version(r1);
      expect(moved).not.toBe(v1);
      expect(await cache.version(r2)).toBe(v2);
      // Seen by every cache on the same store (another process).
      expect(await membership().version(r1)).toBe(moved);
      await membership().invalidate([r1]);
      expect(await cache.version(r1)).not.toBe(moved);
    });

    it('gives the list with the version it is current at, loaded or cached', async () => {
      const cache = membership();
      const r = relation();
      const { state, load } = source([2, 1]);
      await cache.invalidate([r]);
      const current = await cache.version(r);
      expect(await cache.versionedMembers(r, load)).toEqual({ members: [1, 2], version: current });
      expect(await membership().versionedMembers(r, load)).toEqual({
        members: [1, 2],
        version: current,
      });
      expect(state.loads).toBe(1);
      state.members = [1];
      await membership().invalidate([r]);
      const after = await cache.versionedMembers(r, load);
      expect(after.members).toEqual([1]);
      expect(after.version).toBe(await cache.version(r));
      expect(after.version).not.toBe(current);
    });

    it('gives a list loaded across an invalidation the version from before it', async () => {
      const cache = membership();
      const r = relation();
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started = false;
      const stale: MembersLoader = async () => {
        started = true;
        await gate;
        return [1, 2];
      };
      const before = await cache.version(r);
      const loading = cache.versionedMembers(r, stale);
      await setup().eventually(async () => started, 'the load to start');
      await cache.invalidate([r]);
      release();
      // So whoever keeps it sees at its next check that the version moved.
      expect(await loading).toEqual({ members: [1, 2], version: before });
      expect(await cache.version(r)).not.toBe(before);
    });
  });

  describe('token epochs', () => {
    let nextId = Math.floor(Math.random() * 1e9) * 1000;
    const subject = () => ++nextId;
    const epochs = () => setup().adapters.tokenEpochs({ ttlMs: LONG_MS });
    /** A loader over a mutable database row that counts its calls. */
    const source = (initial: TokenEpoch | null) => {
      const state = { row: initial, loads: 0 };
      const load: TokenEpochLoader = async () => {
        state.loads += 1;
        return state.row && { ...state.row };
      };
      return { state, load };
    };

    it('loads a subject once, then answers from the cache, for every cache made', async () => {
      const id = subject();
      const { state, load } = source({ epoch: 2, owner: 7 });
      expect(await epochs().get('account', id, load)).toEqual({ epoch: 2, owner: 7 });
      state.row = { epoch: 3, owner: 7 };
      expect(await epochs().get('account', id, load)).toEqual({ epoch: 2, owner: 7 });
      expect(state.loads).toBe(1);
    });

    it('keeps users and accounts of the same id apart', async () => {
      const id = subject();
      const cache = epochs();
      await cache.get('user', id, source({ epoch: 1, owner: id }).load);
      expect(await cache.get('account', id, source({ epoch: 5, owner: 3 }).load)).toEqual({
        epoch: 5,
        owner: 3,
      });
      expect(await cache.get('user', id, source(null).load)).toEqual({ epoch: 1, owner: id });
    });

    it('caches a deleted subject as deleted', async () => {
      const id = subject();
      const { state, load } = source(null);
      expect(await epochs().get('user', id, load)).toBeNull();
      expect(await epochs().get('user', id, load)).toBeNull();
      expect(state.loads).toBe(1);
    });

    it('moves a cached epoch forward on advance, never back', async () => {
      const id = subject();
      const cache = epochs();
      const { state, load } = source({ epoch: 1, owner: 4 });
      await cache.get('account', id, load);
      await cache.advance([{ kind: 'account', id, state: { epoch: 3, owner: 4 } }]);
      expect(await cache.get('account', id, load)).toEqual({ epoch: 3, owner: 4 });
      // A late or repeated update of an earlier change is ignored.
      await cache.advance([{ kind: 'account', id, state: { epoch: 2, owner: 4 } }]);
      expect(await cache.get('account', id, load)).toEqual({ epoch: 3, owner: 4 });
      expect(state.loads).toBe(1);
    });

    it('records an advance for a subject not cached yet', async () => {
      const id = subject();
      await epochs().advance([{ kind: 'user', id, state: { epoch: 9, owner: id } }]);
      const { state, load } = source({ epoch: 9, owner: id });
      expect(await epochs().get('user', id, load)).toEqual({ epoch: 9, owner: id });
      expect(state.loads).toBe(0);
    });

    it('keeps a deletion over any epoch, whatever the order of the writes', async () => {
      const [a, b] = [subject(), subject()];
      const cache = epochs();
      await cache.advance([{ kind: 'account', id: a, state: null }]);
      await cache.advance([{ kind: 'account', id: a, state: { epoch: 50, owner: 1 } }]);
      await cache.advance([{ kind: 'account', id: b, state: { epoch: 50, owner: 1 } }]);
      await cache.advance([{ kind: 'account', id: b, state: null }]);
      const never = source({ epoch: 0, owner: 1 });
      expect(await cache.get('account', a, never.load)).toBeNull();
      expect(await cache.get('account', b, never.load)).toBeNull();
      expect(never.state.loads).toBe(0);
    });

    it('never lets a state loaded before an update replace the update', async () => {
      const id = subject();
      const cache = epochs();
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started = false;
      // The load reads the old row, then the change commits and is recorded, then the load
      // finishes: later readers must see the change.
      const stale: TokenEpochLoader = async () => {
        started = true;
        await gate;
        return { epoch: 0, owner: 2 };
      };
      const loading = cache.get('account', id, stale);
      await setup().eventually(async () => started, 'the load to start');
      await cache.advance([{ kind: 'account', id, state: { epoch: 1, owner: 2 } }]);
      release();
      expect(await loading).toEqual({ epoch: 1, owner: 2 });
      const never = source({ epoch: 0, owner: 2 });
      expect(await cache.get('account', id, never.load)).toEqual({ epoch: 1, owner: 2 });
      expect(never.state.loads).toBe(0);
    });

    it('reads the database again once ttlMs has passed', async () => {
      const cache = setup().adapters.tokenEpochs({ ttlMs: SHORT_MS });
      const id = subject();
      const { state, load } = source({ epoch: 0, owner: 3 });
      await cache.get('account', id, load);
      state.row = { epoch: 4, owner: 3 };
      await setup().elapse(SHORT_MS + PAST_MS);
      expect(await cache.get('account', id, load)).toEqual({ epoch: 4, owner: 3 });
      expect(state.loads).toBe(2);
    });

    it('refuses a loaded epoch that is not a whole number ≥ 0', async () => {
      await expect(
        epochs().get('user', subject(), async () => ({ epoch: -1, owner: 1 })),
      ).rejects.toThrow(TypeError);
    });
  });
}
