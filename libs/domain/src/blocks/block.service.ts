import type { BlockRepository, BlocksBetween } from '@chat/db';
import type { Logger } from '@chat/logger';
import { AppError, ErrorCode } from '@chat/protocol';
import type { ChatEventDraft, UnitOfWork } from '../ports';
import { iso } from '../views';

export interface BlockServiceDeps {
  blocks: BlockRepository;
  /** A block and the cache invalidation of the pair's friendship commit together. */
  work: UnitOfWork;
  log: Logger;
}

/**
 * What the caller may not do toward `otherId` because of a block between them: 4003 when
 * the other blocked the caller, 4004 when the caller blocked the other (docs/api.md §9.1).
 */
export function refuseBlocked(blocks: BlocksBetween): void {
  if (blocks.bBlocksA) throw new AppError(ErrorCode.BlockedByAccount);
  if (blocks.aBlocksB) throw new AppError(ErrorCode.AccountBlocked);
}

/**
 * A block changes who may send in the pair's friendship: the event carries no push but
 * marks the relation's cached send state stale in every gateway, through the same path as
 * a membership change (the api invalidates the shared cache after the commit, the relayed
 * event clears each gateway's front).
 */
function sendStateChanged(relationId: number): ChatEventDraft {
  return { key: `relation:${relationId}`, effects: { membershipChanged: [relationId] } };
}

/** The block list of docs/api.md §9.1. */
export class BlockService {
  constructor(private readonly d: BlockServiceDeps) {}

  /** POST /api/setting/block/add: idempotent; 4005 for oneself, 2010 for a missing account. */
  async add(callerId: number, targetId: number): Promise<Record<string, never>> {
    if (targetId === callerId) throw new AppError(ErrorCode.CannotBlockSelf);
    const done = await this.d.work.run(async (outbox) => {
      const done = await this.d.blocks.add(callerId, targetId);
      if (done === 'account_gone') throw new AppError(ErrorCode.AccountNotFound);
      if (done.created && done.friendRelationId !== null) {
        outbox.events([sendStateChanged(done.friendRelationId)]);
      }
      return done;
    });
    if (done.created) this.d.log.info({ accountId: callerId, targetId }, 'account blocked');
    return {};
  }

  /** DELETE /api/setting/block/delete: idempotent; the friendship, if any, is listed again. */
  async remove(callerId: number, targetId: number): Promise<Record<string, never>> {
    const done = await this.d.work.run(async (outbox) => {
      const done = await this.d.blocks.remove(callerId, targetId);
      if (done.removed && done.friendRelationId !== null) {
        outbox.events([sendStateChanged(done.friendRelationId)]);
      }
      return done;
    });
    if (done.removed) this.d.log.info({ accountId: callerId, targetId }, 'account unblocked');
    return {};
  }

  /** GET /api/setting/block/list: latest first. */
  async list(callerId: number, page: number, pageSize: number) {
    const { rows, total } = await this.d.blocks.list(callerId, page, pageSize);
    return {
      list: rows.map((r) => ({
        account_id: r.accountId,
        name: r.name,
        avatar: r.avatar,
        create_at: iso(r.createAt),
      })),
      total,
    };
  }
}
