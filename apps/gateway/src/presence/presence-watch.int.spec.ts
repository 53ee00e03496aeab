import { MemoryBus, type BusRecord } from '@chat/bus';
import { createCacheAdapters, type CacheAdapters } from '@chat/cache';
import {
  PgAccountRepository,
  PgBlockRepository,
  PgMembershipRepository,
  PgMessageLookupRepository,
  PgPresenceSettingsRepository,
  type Database,
} from '@chat/db';
import { openMigratedDatabase, TestData } from '@chat/db/testing';
import { createLogger } from '@chat/logger';
import {
  ErrorCode,
  presenceChangedSchema,
  PUSH_DATA,
  TOPICS,
  type PresenceChangedRecord,
} from '@chat/protocol';
import { createSuiteContext, waitFor, type SuiteContext } from '@chat/testing';
import { Connection, type Wire } from '../sockets/connection';
import { GatewayStore } from '../store/gateway-store';
import { PresenceWatch, viewPresence } from './presence-watch';

const NODE = 'gw-watch';
const log = createLogger({ name: 'presence-watch-test', level: 'silent' });

describe('viewPresence (docs/protocol.md §3.5, §3.6)', () => {
  const facts = { accountId: 4, connections: 2, lastSeenMs: Date.UTC(2026, 0, 1), hidden: false };

  it('is online while any device is connected, with the last connect or disconnect', () => {
    expect(viewPresence(facts, 3)).toEqual({
      account_id: 4,
      online: true,
      last_seen: '2026-01-01T00:00:00.000Z',
    });
    expect(viewPresence({ ...facts, connections: 0 }, 3).online).toBe(false);
    expect(viewPresence({ ...facts, lastSeenMs: undefined }, 3).last_seen).toBeNull();
  });

  it('shows a hidden account offline without last seen to others, as it is to itself', () => {
    const hidden = { ...facts, hidden: true };
    expect(viewPresence(hidden, 3)).toEqual({ account_id: 4, online: false, last_seen: null });
    expect(viewPresence(hidden, 4).online).toBe(true);
  });
});

/** Presence subscriptions on real Postgres (visibility, hidden) and Redis (presence, last seen). */
describe('PresenceWatch', () => {
  let ctx: SuiteContext;
  let db: Database;
  let data: TestData;
  let cache: CacheAdapters;
  let bus: MemoryBus;
  let watch: PresenceWatch;
  let serial = 0;
  let ann: number;
  let bob: number;
  let cat: number;
  let dan: number;
  let store: GatewayStore;

  /** An authenticated connection of `accountId` whose written frames are collected. */
  function device(accountId: number): { conn: Connection; frames: unknown[] } {
    const frames: unknown[] = [];
    const wire = {
      cork: (run: () => void) => run(),
      send: (text: string) => (frames.push(JSON.parse(text)), 1),
      getBufferedAmount: () => 0,
      ping: () => 1,
      end: () => undefined,
    } as unknown as Wire;
    serial += 1;
    const conn = new Connection(
      `${NODE}.${serial}`,
      '127.0.0.1',
      {
        framesPerSecond: 100,
        maxBufferedBytes: 1 << 20,
      },
      0,
    );
    conn.attach(wire);
    conn.accountId = accountId;
    return { conn, frames };
  }

  const presencePushes = (frames: unknown[]) =>
    (frames as { event: string; data: unknown }[]).filter((f) => f.event === 'presence');

  async function connectDevice(accountId: number) {
    const d = device(accountId);
    await cache.presence.add(accountId, d.conn.connId, NODE);
    await watch.changed(accountId);
    return d;
  }

  async function leave(d: { conn: Connection }) {
    watch.forget(d.conn);
    await cache.presence.remove(d.conn.accountId!, d.conn.connId);
    await watch.changed(d.conn.accountId!);
  }

  beforeAll(async () => {
    ctx = await createSuiteContext('presence-watch');
    db = await openMigratedDatabase(ctx.databaseUrl);
    data = new TestData(db.em.fork());
    cache = createCacheAdapters({ kind: 'redis', url: ctx.redisUrl, prefix: ctx.redisPrefix }, log);
    await cache.presence.heartbeat(NODE, 60_000);
    bus = new MemoryBus({ partitions: 2 }, log);
    store = new GatewayStore({
      accounts: new PgAccountRepository(db.em),
      memberships: new PgMembershipRepository(db.em),
      lookups: new PgMessageLookupRepository(db.em),
      presenceSettings: new PgPresenceSettingsRepository(db.em),
      blocks: new PgBlockRepository(db.em),
    });
    watch = new PresenceWatch({ presence: cache.presence, cache: cache.cache, bus, store, log });
    await bus.subscribe(
      'presence-watch-test',
      [TOPICS.presence],
      (records: BusRecord[]) =>
        watch.handle(
          records.map(
            (r) =>
              presenceChangedSchema.parse(
                JSON.parse(r.value.toString('utf8')),
              ) as PresenceChangedRecord,
          ),
        ),
      { fromBeginning: false },
    );
    [ann, bob, cat, dan] = await Promise.all(
      [1, 2, 3, 4].map(async () => (await data.account()).id),
    );
    await data.friendship(ann, bob);
    await data.group(ann, [cat]);
  });

  afterAll(async () => {
    await bus?.close();
    await cache?.close();
    await db?.close();
    await ctx?.cleanup();
  });

  it('refuses accounts that share no relation with the viewer, and subscribes to nothing', async () => {
    const viewer = device(ann);
    await expect(watch.subscribe(viewer.conn, ann, [bob, dan])).rejects.toMatchObject({
      code: ErrorCode.PermissionDenied,
    });
    expect(viewer.conn.presence?.size ?? 0).toBe(0);
    expect(watch.watchedAccounts).toBe(0);
  });

  it('answers the current state of friends, group members and itself', async () => {
    const bob1 = await connectDevice(bob);
    const viewer = device(ann);
    const { presences } = await watch.subscribe(viewer.conn, ann, [bob, cat, ann]);
    expect(presences).toEqual([
      { account_id: bob, online: true, last_seen: expect.any(String) },
      { account_id: cat, online: false, last_seen: null },
      { account_id: ann, online: false, last_seen: null },
    ]);
    for (const p of presences) expect(PUSH_DATA.presence.safeParse(p).success).toBe(true);
    watch.forget(viewer.conn);
    await leave(bob1);
  });

  it('pushes online and offline once, staying online until the last device leaves', async () => {
    const viewer = device(ann);
    const other = device(ann);
    await watch.subscribe(viewer.conn, ann, [cat]);
    const c1 = await connectDevice(cat);
    await waitFor(() => presencePushes(viewer.frames).length === 1, { what: 'online push' });
    expect(presencePushes(viewer.frames)[0]).toMatchObject({
      data: { account_id: cat, online: true },
    });
    const c2 = await connectDevice(cat);
    await leave(c1);
    const before = Date.now();
    await leave(c2);
    await waitFor(() => presencePushes(viewer.frames).length === 2, { what: 'offline push' });
    const offline = presencePushes(viewer.frames)[1] as {
      data: { online: boolean; last_seen: string };
    };
    expect(offline.data.online).toBe(false);
    expect(Date.parse(offline.data.last_seen)).toBeGreaterThanOrEqual(before - 1000);
    // No push for the second device's join or the first one's leave; none to a non-subscriber.
    await new Promise((r) => setTimeout(r, 200));
    expect(presencePushes(viewer.frames)).toHaveLength(2);
    expect(presencePushes(other.frames)).toHaveLength(0);
    watch.forget(viewer.conn);
    expect(watch.watchedAccounts).toBe(0);
  });

  it('announces offline, once, the accounts a dead node left that have no connection elsewhere', async () => {
    const viewer = device(ann);
    await watch.subscribe(viewer.conn, ann, [bob, cat]);
    // Bob on this node and on the one that dies; Cat on the dying node only.
    const b1 = await connectDevice(bob);
    await cache.presence.heartbeat('gw-dying', 60_000);
    await cache.presence.add(bob, 'bob-dying', 'gw-dying');
    await cache.presence.add(cat, 'cat-dying', 'gw-dying');
    await watch.changed(cat);
    await waitFor(() => presencePushes(viewer.frames).length === 2, { what: 'online pushes' });
    // The sweep (or the node's restart) removed its entries.
    expect((await cache.presence.dropNode('gw-dying')).sort()).toEqual([bob, cat].sort());
    const at = Date.now() - 5000;
    await watch.gone([bob, cat], at);
    await watch.gone([cat], at); // a second announcement changes nothing seen
    await waitFor(() => presencePushes(viewer.frames).length === 3, { what: 'offline push' });
    await new Promise((r) => setTimeout(r, 200));
    expect(presencePushes(viewer.frames).slice(2)).toEqual([
      {
        event: 'presence',
        data: { account_id: cat, online: false, last_seen: new Date(at).toISOString() },
      },
    ]);
    watch.forget(viewer.conn);
    await leave(b1);
  });

  it('hides an account from others at once, and shows it again', async () => {
    const viewer = device(ann);
    const self = device(bob);
    const b1 = await connectDevice(bob);
    await watch.subscribe(viewer.conn, ann, [bob]);
    await watch.subscribe(self.conn, bob, [bob]);
    await watch.setHidden(bob, true);
    await waitFor(() => presencePushes(viewer.frames).length === 1, { what: 'hidden push' });
    expect(presencePushes(viewer.frames)[0]).toEqual({
      event: 'presence',
      data: { account_id: bob, online: false, last_seen: null },
    });
    const fresh = device(ann);
    expect((await watch.subscribe(fresh.conn, ann, [bob])).presences[0]).toEqual({
      account_id: bob,
      online: false,
      last_seen: null,
    });
    await watch.setHidden(bob, false);
    await waitFor(() => presencePushes(viewer.frames).length === 2, { what: 'shown push' });
    expect(presencePushes(self.frames)).toHaveLength(0);
    await expect(watch.setHidden(999_999_999, true)).rejects.toMatchObject({
      code: ErrorCode.AccountNotFound,
    });
    for (const d of [viewer, self, fresh]) watch.forget(d.conn);
    await leave(b1);
  });

  describe('when a relation changes (docs/protocol.md §3.5)', () => {
    const sql = (text: string, params: unknown[]) => db.em.getConnection().execute(text, params);
    const ended = (id: number) => ({
      event: 'presence',
      data: { account_id: id, online: false, last_seen: null },
    });

    it('ends a subscription whose friendship was deleted, with a last push, and pushes nothing after', async () => {
      const [eve, fay] = await Promise.all([1, 2].map(async () => (await data.account()).id));
      const { relation } = await data.friendship(eve, fay);
      const viewer = device(eve);
      const other = device(eve);
      await watch.subscribe(viewer.conn, eve, [fay, eve]);
      await watch.subscribe(other.conn, eve, [eve]);
      expect(watch.groundedOn(relation.id)).toBe(1);

      await sql('delete from relation where id = ?', [relation.id]);
      await watch.relationsChanged([relation.id]);
      expect(presencePushes(viewer.frames)).toEqual([ended(fay)]);
      expect([...viewer.conn.presence!.keys()]).toEqual([eve]);
      expect(watch.groundedOn(relation.id)).toBe(0);
      expect(presencePushes(other.frames)).toHaveLength(0);

      // Fay comes and goes: Eve hears nothing more of her.
      const f1 = await connectDevice(fay);
      await leave(f1);
      const e1 = await connectDevice(eve);
      await waitFor(() => presencePushes(viewer.frames).length === 2, { what: 'own online push' });
      expect(presencePushes(viewer.frames)[1]).toMatchObject({ data: { account_id: eve } });
      const aboutFay = presencePushes(viewer.frames).filter(
        (p) => (p.data as { account_id: number }).account_id === fay,
      );
      expect(aboutFay).toHaveLength(1);
      for (const d of [viewer, other]) watch.forget(d.conn);
      await leave(e1);
    });

    it('moves a blocked friendship’s subscriptions to a common group, and ends them when the member leaves it', async () => {
      const [eve, fay] = await Promise.all([1, 2].map(async () => (await data.account()).id));
      const { relation: friends } = await data.friendship(eve, fay);
      const { relation: group } = await data.group(eve, [fay]);
      const viewer = device(fay);
      await watch.subscribe(viewer.conn, fay, [eve]);
      expect(watch.groundedOn(friends.id)).toBe(1);

      // Fay blocked by Eve: the friendship no longer counts, the group still does.
      await sql('insert into account_block (blocker_id, blocked_id) values (?, ?)', [eve, fay]);
      await watch.relationsChanged([friends.id]);
      expect(presencePushes(viewer.frames)).toHaveLength(0);
      expect([watch.groundedOn(friends.id), watch.groundedOn(group.id)]).toEqual([0, 1]);
      // A new subscriber is refused for the same reason when there is no group.
      const [gus] = [(await data.account()).id];
      const { relation: gusEve } = await data.friendship(gus, eve);
      await sql('insert into account_block (blocker_id, blocked_id) values (?, ?)', [gus, eve]);
      await expect(watch.subscribe(device(eve).conn, eve, [gus])).rejects.toMatchObject({
        code: ErrorCode.PermissionDenied,
      });
      expect(watch.groundedOn(gusEve.id)).toBe(0);

      await sql('delete from setting where relation_id = ? and account_id = ?', [group.id, fay]);
      await watch.relationsChanged([group.id, 999_999_999]);
      expect(presencePushes(viewer.frames)).toEqual([ended(eve)]);
      expect(viewer.conn.presence!.size).toBe(0);
      expect(watch.groundedOn(group.id)).toBe(0);
      watch.forget(viewer.conn);
    });

    it('reads again when the relation changes while a subscribe reads it', async () => {
      const [eve, fay] = await Promise.all([1, 2].map(async () => (await data.account()).id));
      const { relation } = await data.friendship(eve, fay);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let reads = 0;
      const slow = new PresenceWatch({
        presence: cache.presence,
        cache: cache.cache,
        bus,
        log,
        store: {
          presenceHidden: (ids) => store.presenceHidden(ids),
          setPresenceHidden: (id, hidden) => store.setPresenceHidden(id, hidden),
          // The first read answers what the database held before the change.
          presenceGrounds: async (pairs) => {
            const found = await store.presenceGrounds(pairs);
            if (++reads === 1) await gate;
            return found;
          },
        },
      });
      const viewer = device(eve);
      const subscribing = slow.subscribe(viewer.conn, eve, [fay]);
      await waitFor(() => reads === 1, { what: 'first read' });
      await sql('delete from relation where id = ?', [relation.id]);
      await slow.relationsChanged([relation.id]);
      release();
      await expect(subscribing).rejects.toMatchObject({ code: ErrorCode.PermissionDenied });
      expect(reads).toBe(2);
      expect(slow.groundedOn(relation.id)).toBe(0);
      expect(viewer.conn.presence?.size ?? 0).toBe(0);
    });
  });

  it('refuses more subscriptions per connection than the limit', async () => {
    const viewer = device(ann);
    const many = Array.from({ length: 200 }, (_, i) => i + 1);
    // 5 batches of 200 distinct ids reach 1000; checked before visibility, so none is stored.
    viewer.conn.presence = new Map(
      many.flatMap((id) => [1, 2, 3, 4, 5].map((k) => [id * 10 + k, 'on'])),
    );
    await expect(watch.subscribe(viewer.conn, ann, [bob])).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
    });
    viewer.conn.presence = undefined;
  });
});
