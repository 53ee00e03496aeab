import { createCacheAdapters, type Presence } from '@chat/cache';
import { createLogger } from '@chat/logger';
import { waitFor } from '@chat/testing';
import { Connection } from '../sockets/connection';
import { LocalSockets } from '../sockets/local-sockets';
import { PresenceAnnouncer } from './presence-announcer';

const log = createLogger({ name: 'test', level: 'silent' });
const NODE = 'gw1';

describe('PresenceAnnouncer', () => {
  let presence: Presence;
  let sockets: LocalSockets;
  let announcer: PresenceAnnouncer;
  /** What the announcer told the presence watch. */
  let told: { gone: number[][]; back: number[][] };

  function announcerOn(p: Presence): PresenceAnnouncer {
    return new PresenceAnnouncer({
      presence: p,
      bus: { publishMany: async () => undefined },
      sockets,
      nodeId: NODE,
      ttlMs: 60_000,
      watch: {
        gone: async (ids) => void told.gone.push([...ids].sort()),
        back: async (ids) => void told.back.push([...ids].sort()),
      },
      log,
    });
  }

  beforeEach(async () => {
    presence = createCacheAdapters({ kind: 'memory' }, log).presence;
    sockets = new LocalSockets();
    told = { gone: [], back: [] };
    announcer = announcerOn(presence);
    await announcer.start();
  });

  afterEach(() => announcer.stop());

  /** An authenticated socket of `accountId` on this node, announced as the session does. */
  async function online(accountId: number, n: number): Promise<void> {
    const conn = new Connection(
      `${NODE}.test.${n}`,
      '127.0.0.1',
      { framesPerSecond: 0, maxBufferedBytes: 1024 },
      0,
    );
    // Counts as open for the re-announcement, as an attached uWS socket would.
    Object.defineProperty(conn, 'isOpen', { get: () => true });
    sockets.add(conn);
    conn.accountId = accountId;
    sockets.bind(conn, accountId);
    await announcer.join(conn, accountId);
  }

  const where = async (accountId: number) =>
    ((await presence.lookup([accountId])).get(accountId) ?? []).map((e) => e.connId);

  it('announces its sockets again when the store lost them between two beats', async () => {
    await online(7, 1);
    await online(8, 2);
    expect(await where(7)).toEqual([`${NODE}.test.1`]);

    // What a Redis restarted without persistence looks like: the node's liveness key and
    // every entry are gone, well within the TTL of the last beat.
    await presence.dropNode(NODE);
    expect(await where(7)).toEqual([]);

    await announcer.beat();
    expect(await where(7)).toEqual([`${NODE}.test.1`]);
    expect(await where(8)).toEqual([`${NODE}.test.2`]);
    // A sweep elsewhere may have announced them offline meanwhile: online again.
    await waitFor(() => told.back.length === 1, { what: 'the accounts told back' });
    expect(told.back).toEqual([[7, 8]]);
    expect(told.gone).toEqual([]);
  });

  it('sweeps a node that died with entries left, and tells the watch its accounts once', async () => {
    await presence.heartbeat('gw-dead', 1);
    await presence.add(7, 'dead.1', 'gw-dead');
    await presence.add(8, 'dead.2', 'gw-dead');
    await presence.add(8, 'dead.3', 'gw-dead');
    await online(9, 1);
    await new Promise((r) => setTimeout(r, 5));
    await announcer.beat();
    await waitFor(() => told.gone.length === 1, { what: 'the dead node swept' });
    expect(told.gone).toEqual([[7, 8]]);
    await announcer.beat();
    await new Promise((r) => setTimeout(r, 20));
    expect(told.gone).toHaveLength(1);
    expect(await where(9)).toEqual([`${NODE}.test.1`]);
  });

  it('tells the watch of the accounts a previous run under its node id left', async () => {
    await online(7, 1);
    await online(8, 2);
    // The process dies without stopping (nothing dropped) and starts again.
    const restarted = announcerOn(presence);
    await restarted.start();
    await waitFor(() => told.gone.length === 1, { what: 'the previous run announced' });
    expect(told.gone).toEqual([[7, 8]]);
    expect(await where(7)).toEqual([]);
    await restarted.stop();
  });

  it('does not announce again while the node stays alive', async () => {
    await online(7, 1);
    await presence.remove(7, `${NODE}.test.1`); // left, as a closing socket does
    await announcer.beat();
    expect(await where(7)).toEqual([]);
  });

  it('tells the watch of its accounts when it stops, and removes their entries', async () => {
    await online(7, 1);
    await online(8, 2);
    await online(8, 3);
    await announcer.stop();
    expect(told.gone).toEqual([[7, 8]]);
    expect(await where(8)).toEqual([]);
  });
});
