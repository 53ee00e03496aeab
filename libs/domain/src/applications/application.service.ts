import type { ApplicationRecord, ApplicationRepository, BlockRepository } from '@chat/db';
import type { Logger } from '@chat/logger';
import { AppError, ErrorCode, PUSH_EVENTS, SYSTEM_TEXTS } from '@chat/protocol';
import { refuseBlocked } from '../blocks/block.service';
import { systemMessage, type IdGenerator } from '../messages/system-message';
import type { ChatEventDraft, UnitOfWork } from '../ports';
import { iso } from '../views';

export interface ApplicationServiceDeps {
  applications: ApplicationRepository;
  /**
   * Blocks between the two sides refuse a request and its acceptance (4003, 4004), checked
   * under the pair's lock, which a block takes too.
   */
  blocks: Pick<BlockRepository, 'between' | 'lockPair'>;
  /** Each change and its pushes (and the "成为好友" system message) commit together. */
  work: UnitOfWork;
  /** Ids of the system messages. */
  ids: IdGenerator;
  log: Logger;
}

/**
 * ApplicationInfo of docs/api.md §3 as `viewerId` sees it: `name` and `avatar` belong to the
 * other party (the target for the applicant, the applicant for the target).
 */
export function applicationInfo(a: ApplicationRecord, viewerId: number) {
  const other = viewerId === a.applicant.id ? a.target : a.applicant;
  return {
    account1_id: a.applicant.id,
    account2_id: a.target.id,
    apply_msg: a.applyMsg,
    refuse_msg: a.refuseMsg,
    status: a.status,
    create_at: iso(a.createAt),
    update_at: iso(a.updateAt),
    name: other.name,
    avatar: other.avatar,
  };
}

/**
 * The `application` push to both parties (docs/protocol.md §4), each with its own view. Keyed by
 * the receiving account, so one account's application pushes arrive in order.
 */
function applicationEvents(a: ApplicationRecord): ChatEventDraft[] {
  return [a.applicant.id, a.target.id].map((receiver) => ({
    key: `account:${receiver}`,
    push: { event: PUSH_EVENTS.application, data: applicationInfo(a, receiver), to: [receiver] },
  }));
}

/** The application area of docs/api.md §8: friend requests. */
export class ApplicationService {
  constructor(private readonly d: ApplicationServiceDeps) {}

  /**
   * POST /api/application/create: 3003 to oneself, 2010 for a missing target, 4001 between
   * friends, 3001 while a pending one exists either way. A finished application of the pair
   * is replaced (docs/pitfalls.md §17). 4003 when the target blocked the caller, 4004 when
   * the caller blocked the target (docs/api.md §9.1).
   */
  async create(callerId: number, targetId: number, applyMsg: string): Promise<void> {
    if (targetId === callerId) throw new AppError(ErrorCode.ApplicationInvalid);
    await this.d.work.run(async (outbox) => {
      await this.d.blocks.lockPair(callerId, targetId);
      refuseBlocked(await this.d.blocks.between(callerId, targetId));
      const created = await this.d.applications.create(callerId, targetId, applyMsg);
      if (created === 'target_missing' || created === 'applicant_missing') {
        throw new AppError(ErrorCode.AccountNotFound);
      }
      if (created === 'friends') throw new AppError(ErrorCode.RelationExists);
      if (created === 'pending') throw new AppError(ErrorCode.ApplicationExists);
      outbox.events(applicationEvents(created));
    });
    this.d.log.info({ accountId: callerId, targetId }, 'application created');
  }

  /** DELETE /api/application/delete: the caller's own application to `targetId`, any status. */
  async delete(callerId: number, targetId: number): Promise<void> {
    if (!(await this.d.applications.remove(callerId, targetId))) {
      throw new AppError(ErrorCode.ApplicationNotFound);
    }
  }

  /**
   * PUT /api/application/accept: the friendship, both settings and the accepted status in
   * one transaction, and with them, in the outbox, the "成为好友" system message and the
   * `application` pushes. A block between the two refuses it as `create` does. The check
   * and the friendship it allows hold the pair's lock until the commit: a block made at the
   * same time either commits first and is seen here (4003, 4004), or waits and then finds
   * the friendship, which it hides from the blocker and announces to the gateways as any
   * block of a friendship (docs/features.md, Block list).
   */
  async accept(callerId: number, applicantId: number): Promise<void> {
    const relationId = await this.d.work.run(async (outbox) => {
      await this.d.blocks.lockPair(callerId, applicantId);
      refuseBlocked(await this.d.blocks.between(callerId, applicantId));
      const done = await this.d.applications.accept(applicantId, callerId);
      if (done === 'missing') throw new AppError(ErrorCode.ApplicationNotFound);
      if (done === 'accepted') throw new AppError(ErrorCode.ApplicationRepeated);
      if (done === 'applicant_missing') throw new AppError(ErrorCode.AccountNotFound);
      if (done === 'friends') throw new AppError(ErrorCode.RelationExists);
      const { application, relationId } = done;
      // The system message is recorded before anything announces the relation, so it is
      // the first record of the conversation's partition (docs/api.md §8: its first message).
      outbox.message(systemMessage(this.d.ids, relationId, SYSTEM_TEXTS.becameFriends));
      outbox.events([
        { key: `relation:${relationId}`, effects: { membershipChanged: [relationId] } },
        ...applicationEvents(application),
      ]);
      return relationId;
    });
    this.d.log.info({ accountId: callerId, applicantId, relationId }, 'application accepted');
  }

  /** PUT /api/application/refuse: 3004 once refused or accepted (docs/pitfalls.md §16). */
  async refuse(callerId: number, applicantId: number, refuseMsg: string): Promise<void> {
    await this.d.work.run(async (outbox) => {
      const done = await this.d.applications.refuse(applicantId, callerId, refuseMsg);
      if (done === 'missing') throw new AppError(ErrorCode.ApplicationNotFound);
      if (done === 'handled') throw new AppError(ErrorCode.ApplicationRepeated);
      outbox.events(applicationEvents(done));
    });
    this.d.log.info({ accountId: callerId, applicantId }, 'application refused');
  }

  /** GET /api/application/list: either side, newest first. */
  async list(callerId: number, page: number, pageSize: number) {
    const { rows, total } = await this.d.applications.listOf(callerId, page, pageSize);
    return { list: rows.map((a) => applicationInfo(a, callerId)), total };
  }
}
