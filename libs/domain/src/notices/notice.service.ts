import type { GroupRepository, NoticeRecord, NoticeRepository } from '@chat/db';
import type { Logger } from '@chat/logger';
import { AppError, ErrorCode, PUSH_EVENTS, type MsgExtend } from '@chat/protocol';
import type { Outbox, UnitOfWork } from '../ports';
import { iso } from '../views';
import { requireGroupMember } from '../groups/group.service';

export interface NoticeServiceDeps {
  notices: NoticeRepository;
  groups: Pick<GroupRepository, 'role' | 'memberIds'>;
  /** A notice and its push commit together. */
  work: UnitOfWork;
  log: Logger;
}

export interface NoticeContent {
  msgContent: string;
  /** Absent means none. */
  msgExpand?: MsgExtend | null;
}

/** Notify of docs/api.md §3: `read_ids` is `[account_id]`, as no endpoint marks a notice read. */
function notify(n: NoticeRecord, readIds: 'author' | 'none' = 'author') {
  return {
    id: n.id,
    relation_id: n.relationId,
    msg_content: n.msgContent,
    msg_expand: n.msgExpand,
    account_id: n.accountId ?? 0,
    create_at: iso(n.createAt),
    read_ids: readIds === 'none' ? null : n.accountId === null ? [] : [n.accountId],
  };
}

/**
 * `create_notify` / `update_notify` payload (docs/protocol.md §4): the extension is named
 * `msg_extent` in pushes, as the reference server named it, while REST says `msg_expand`.
 */
function notifyPush(n: NoticeRecord) {
  return {
    id: n.id,
    relation_id: n.relationId,
    account_id: n.accountId ?? 0,
    msg_content: n.msgContent,
    msg_extent: n.msgExpand,
    create_at: iso(n.createAt),
  };
}

/** Group notices (docs/api.md §13). */
export class NoticeService {
  constructor(private readonly d: NoticeServiceDeps) {}

  private async member(callerId: number, relationId: number) {
    return requireGroupMember(await this.d.groups.role(callerId, relationId));
  }

  private async pushToMembers(
    outbox: Outbox,
    event: typeof PUSH_EVENTS.createNotify | typeof PUSH_EVENTS.updateNotify,
    n: NoticeRecord,
  ) {
    const to = await this.d.groups.memberIds(n.relationId);
    outbox.events([{ key: `relation:${n.relationId}`, push: { event, data: notifyPush(n), to } }]);
  }

  /** POST /api/notify/create: 7003 for a non-member, 7001 for a member who does not lead. */
  async create(callerId: number, relationId: number, content: NoticeContent) {
    const role = await this.member(callerId, relationId);
    if (!role.isLeader) throw new AppError(ErrorCode.NotGroupLeader);
    const created = await this.d.work.run(async (outbox) => {
      const created = await this.d.notices.create({
        relationId,
        authorId: callerId,
        msgContent: content.msgContent,
        msgExpand: content.msgExpand ?? null,
      });
      // Dissolved between the check and the insert: the caller is no longer a member.
      if (created === 'group_gone') throw new AppError(ErrorCode.NotGroupMember);
      await this.pushToMembers(outbox, PUSH_EVENTS.createNotify, created);
      return created;
    });
    return notify(created, 'none');
  }

  /**
   * POST /api/notify/update: any member may edit (docs/api.md §13); 9001 when the notice is not
   * in this group (docs/pitfalls.md §10, §15).
   */
  async update(callerId: number, id: number, relationId: number, content: NoticeContent) {
    await this.member(callerId, relationId);
    await this.d.work.run(async (outbox) => {
      const updated = await this.d.notices.update({
        id,
        relationId,
        authorId: callerId,
        msgContent: content.msgContent,
        msgExpand: content.msgExpand ?? null,
      });
      if (!updated) throw new AppError(ErrorCode.NotifyNotFound);
      await this.pushToMembers(outbox, PUSH_EVENTS.updateNotify, updated);
    });
    return {};
  }

  /** GET /api/notify/getnotify: newest first. */
  async list(callerId: number, relationId: number) {
    await this.member(callerId, relationId);
    const list = (await this.d.notices.listOf(relationId)).map((n) => notify(n));
    return { list, total: list.length };
  }

  /** GET /api/notify/delete: 7003, then 7001, then 9001 (docs/api.md §13). No push. */
  async delete(callerId: number, id: number, relationId: number): Promise<void> {
    const role = await this.member(callerId, relationId);
    if (!role.isLeader) throw new AppError(ErrorCode.NotGroupLeader);
    if (!(await this.d.notices.delete(id, relationId))) {
      throw new AppError(ErrorCode.NotifyNotFound);
    }
  }
}
