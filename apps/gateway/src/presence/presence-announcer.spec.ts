import { createCacheAdapters, type Presence } from '@chat/cache';
import { createLogger } from '@chat/logger';
import { Connection } from '../sockets/connection';
import { LocalSockets } from '../sockets/local-sockets';
import { PresenceAnnouncer } from './presence-announcer';

const log = createLogger({ name: 'test', level: 'silent' });
const NODE = 'gw1';

describe('PresenceAnnouncer', () => {
  let presence: Presence;
  let sockets: LocalSockets;
  let announcer: PresenceAnnouncer;

  beforeEach(async () => {
    presence = createCacheAdapters({ kind: 'memory' }, log).presence;
    sockets = new LocalSockets();
    announcer = new PresenceAnnouncer({
      presence,
      bus: { publishMany: async () => undefined },
      sockets,
      nodeId: NODE,
      ttlMs: 60_000,
      log,
    });
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
  });

  it('does not announce again while the node stays alive', async () => {
    await online(7, 1);
    await presence.remove(7, `${NODE}.test.1`); // left, as a closing socket does
    await announcer.beat();
    expect(await where(7)).toEqual([]);
  });
});
