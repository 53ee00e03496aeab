import {
  inTransaction,
  PgApplicationRepository,
  PgBlockRepository,
  PgSettingRepository,
  type Database,
} from '@chat/db';
import { openMigratedDatabase, TestData } from '@chat/db/testing';
import {
  ApplicationService,
  BlockService,
  type ChatEventDraft,
  type Outbox,
  type UnitOfWork,
} from '@chat/domain';
import { SnowflakeGenerator } from '@chat/ids';
import { createLogger } from '@chat/logger';
import { ErrorCode } from '@chat/protocol';
import { createSuiteContext, waitFor, type SuiteContext } from '@chat/testing';

const log = createLogger({ name: 'block-accept-race-test', level: 'silent' });

/** How long a call held behind the pair's lock is watched for not finishing. */
const HELD_MS = 300;

/**
 * The api's unit of work without the relay: one real transaction per unit, the events of
 * the units that committed kept in order.
 */
class CommittedWork implements UnitOfWork {
  readonly events: ChatEventDraft[] = [];

  constructor(private readonly db: Database) {}

  async run<T>(work: (outbox: Outbox) => Promise<T>): Promise<T> {
    const events: ChatEventDraft[] = [];
    const result = await inTransaction(this.db.em, () =>
      work({
        events: (drafts) => void events.push(...drafts),
        message: () => undefined,
        presence: () => undefined,
      }),
    );
    this.events.push(...events);
    return result;
  }
}

/** A promise that opens when `open` is called. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** `promise`, with whether it has settled yet. */
function watched<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  const tracked = promise.finally(() => (done = true));
  tracked.catch(() => undefined);
  return { promise: tracked, settled: () => done };
}

/**
 * A block (`POST /api/setting/block/add`) and the acceptance of a friend request
 * (`PUT /api/application/accept`) between the same two accounts at the same time, on a
 * real Postgres (docs/features.md, Block list): the two take the pair's lock, so either the
 * block commits first and the acceptance is refused with 4003, or the acceptance commits
 * first and the block finds the friendship, hides it from the blocker and marks it changed
 * for the gateways. Never a friendship created after the block was checked, unknown to it.
 */
describe('a block and an acceptance of the same pair', () => {
  let ctx: SuiteContext;
  let db: Database;
  let data: TestData;
  let ids: SnowflakeGenerator;

  beforeAll(async () => {
    ctx = await createSuiteContext('api_block_accept');
    db = await openMigratedDatabase(ctx.databaseUrl);
    data = new TestData(db.em.fork());
    ids = new SnowflakeGenerator({ nodeId: 7 });
  });

  afterAll(async () => {
    await db?.close();
    await ctx?.cleanup();
  });

  /**
   * One round's services, each with its own unit of work. `hold.accept` is awaited after
   * the acceptance checked for blocks, before it goes on; `hold.block` after the block was
   * written, before its transaction commits. `reached` says which of them got there.
   */
  function services(hold: { accept?: Promise<void>; block?: Promise<void> } = {}) {
    const reached = { accept: false, block: false };
    class HeldBlocks extends PgBlockRepository {
      override async between(a: number, b: number) {
        const found = await super.between(a, b);
        reached.accept = true;
        await hold.accept;
        return found;
      }

      override async add(blocker: number, blocked: number) {
        const done = await super.add(blocker, blocked);
        reached.block = true;
        await hold.block;
        return done;
      }
    }
    const acceptWork = new CommittedWork(db);
    const blockWork = new CommittedWork(db);
    return {
      applications: new ApplicationService({
        applications: new PgApplicationRepository(db.em),
        blocks: new HeldBlocks(db.em),
        work: acceptWork,
        ids,
        log,
      }),
      blocks: new BlockService({ blocks: new HeldBlocks(db.em), work: blockWork, log }),
      acceptWork,
      blockWork,
      reached,
    };
  }

  /** Two fresh accounts, the first having asked the second to be friends. */
  async function pendingPair(): Promise<{ applicant: number; target: number }> {
    const applicant = (await data.account()).id;
    const target = (await data.account()).id;
    await data.application(applicant, target);
    return { applicant, target };
  }

  async function friendshipOf(a: number, b: number): Promise<number | null> {
    const [row] = await db.em.getConnection().execute<{ id: string }[]>(
      `select id from relation where relation_type = 'friend'
          and account1_id = least(?::bigint, ?::bigint) and account2_id = greatest(?::bigint, ?::bigint)`,
      [a, b, a, b],
    );
    return row ? Number(row.id) : null;
  }

  /**
   * The documented outcome of the applicant blocking the target while the target accepts:
   * the block always stands; the acceptance either was refused with 4003 and no friendship
   * exists, or it came first and the block found the friendship (its event marks it
   * changed) and hides it from the blocker only.
   */
  async function expectSerialised(
    pair: { applicant: number; target: number },
    accepted: PromiseSettledResult<void>,
    blockWork: CommittedWork,
  ): Promise<'refused' | 'accepted first'> {
    const { applicant, target } = pair;
    const blocks = new PgBlockRepository(db.em);
    expect(await blocks.between(applicant, target)).toEqual({ aBlocksB: true, bBlocksA: false });
    const relationId = await friendshipOf(applicant, target);
    if (accepted.status === 'rejected') {
      expect(accepted.reason).toMatchObject({ code: ErrorCode.BlockedByAccount });
      expect(relationId).toBeNull();
      expect(blockWork.events).toEqual([]);
      return 'refused';
    }
    expect(relationId).not.toBeNull();
    expect(blockWork.events).toEqual([
      { key: `relation:${relationId}`, effects: { membershipChanged: [relationId] } },
    ]);
    const settings = new PgSettingRepository(db.em);
    const friendIds = async (id: number) => (await settings.friends(id)).map((f) => f.relationId);
    expect(await friendIds(applicant)).not.toContain(relationId);
    expect(await friendIds(target)).toContain(relationId);
    return 'accepted first';
  }

  it('makes a block wait for an acceptance under way, then find and hide the friendship', async () => {
    const pair = await pendingPair();
    const held = gate();
    const s = services({ accept: held.wait });
    const accepting = watched(s.applications.accept(pair.target, pair.applicant));
    // The acceptance has checked for blocks and holds its transaction open.
    await waitFor(() => s.reached.accept, { what: 'the acceptance’s block check' });
    const blocking = watched(s.blocks.add(pair.applicant, pair.target));
    try {
      await new Promise((r) => setTimeout(r, HELD_MS));
      expect(blocking.settled()).toBe(false);
    } finally {
      held.open();
    }
    const [accepted] = await Promise.allSettled([accepting.promise, blocking.promise]);
    expect(await expectSerialised(pair, accepted, s.blockWork)).toBe('accepted first');
  });

  it('makes an acceptance wait for a block under way, then refuses it with 4003', async () => {
    const pair = await pendingPair();
    const held = gate();
    const s = services({ block: held.wait });
    const blocking = watched(s.blocks.add(pair.applicant, pair.target));
    await waitFor(() => s.reached.block, { what: 'the block written' });
    const accepting = watched(s.applications.accept(pair.target, pair.applicant));
    try {
      await new Promise((r) => setTimeout(r, HELD_MS));
      expect(accepting.settled()).toBe(false);
    } finally {
      held.open();
    }
    const [accepted] = await Promise.allSettled([accepting.promise, blocking.promise]);
    expect(await expectSerialised(pair, accepted, s.blockWork)).toBe('refused');
    expect(s.acceptWork.events).toEqual([]);
  });

  it('gives one of the documented outcomes in every one of 30 concurrent rounds', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 30; round++) {
      const pair = await pendingPair();
      const s = services();
      const [accepted, blocked] = await Promise.allSettled([
        s.applications.accept(pair.target, pair.applicant),
        s.blocks.add(pair.applicant, pair.target),
      ]);
      expect(blocked.status).toBe('fulfilled');
      outcomes.push(await expectSerialised(pair, accepted, s.blockWork));
    }
    expect(outcomes).toHaveLength(30);
  });
});
