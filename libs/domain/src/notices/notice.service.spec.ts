import pino from 'pino';
import { ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import { answeringRepo } from '../testing/answering-repo';
import { RecordingWork } from '../testing/recording-work';
import { NoticeService } from './notice.service';
import type { GroupRepository, NoticeRecord, NoticeRepository } from '@chat/db';
import { rejectionCode } from '@chat/protocol/testing';

const log = pino({ level: 'silent' });

describe('NoticeService', () => {
  const at = new Date('2024-05-01T08:30:00.123Z');
  const expand = { remind: [{ idx: 1, account_id: 2 }] };
  const stored: NoticeRecord = {
    id: 9,
    relationId: 40,
    msgContent: 'hello',
    msgExpand: expand,
    accountId: 1,
    createAt: at,
  };

  function notices(role: unknown, store: Partial<Record<keyof NoticeRepository, unknown>> = {}) {
    const work = new RecordingWork();
    const published = work.events;
    const service = new NoticeService({
      notices: answeringRepo<NoticeRepository>(store),
      groups: answeringRepo<GroupRepository>({ role, memberIds: [1, 2, 3] }),
      work,
      log,
    });
    return { service, published };
  }

  it('pushes create_notify with msg_extent while the reply says msg_expand', async () => {
    const { service, published } = notices({ isGroup: true, isLeader: true }, { create: stored });
    const reply = await service.create(1, 40, { msgContent: 'hello', msgExpand: expand });
    expect(reply).toEqual({
      id: 9,
      relation_id: 40,
      msg_content: 'hello',
      msg_expand: expand,
      account_id: 1,
      create_at: '2024-05-01T08:30:00.123Z',
      read_ids: null,
    });
    expect(published).toEqual([
      {
        key: 'relation:40',
        push: {
          event: PUSH_EVENTS.createNotify,
          data: {
            id: 9,
            relation_id: 40,
            account_id: 1,
            msg_content: 'hello',
            msg_extent: expand,
            create_at: '2024-05-01T08:30:00.123Z',
          },
          to: [1, 2, 3],
        },
      },
    ]);
  });

  it('reports read_ids as the author, or none once the author is deleted', async () => {
    const { service } = notices(
      { isGroup: true, isLeader: false },
      { listOf: [stored, { ...stored, id: 8, accountId: null }] },
    );
    const { list, total } = await service.list(2, 40);
    expect(total).toBe(2);
    expect(list.map((n) => [n.account_id, n.read_ids])).toEqual([
      [1, [1]],
      [0, []],
    ]);
  });

  it('checks membership, group, leadership and the notice in the order of docs/api.md §13', async () => {
    const c = { msgContent: 'x' };
    expect(await rejectionCode(notices(null).service.create(1, 40, c))).toBe(
      ErrorCode.NotGroupMember,
    );
    expect(
      await rejectionCode(notices({ isGroup: false, isLeader: false }).service.create(1, 40, c)),
    ).toBe(ErrorCode.RelationNotFound);
    expect(
      await rejectionCode(notices({ isGroup: true, isLeader: false }).service.create(1, 40, c)),
    ).toBe(ErrorCode.NotGroupLeader);
    expect(
      await rejectionCode(
        notices({ isGroup: true, isLeader: false }, { update: null }).service.update(1, 9, 40, c),
      ),
    ).toBe(ErrorCode.NotifyNotFound);
    expect(
      await rejectionCode(notices({ isGroup: true, isLeader: false }).service.delete(1, 9, 40)),
    ).toBe(ErrorCode.NotGroupLeader);
    expect(
      await rejectionCode(
        notices({ isGroup: true, isLeader: true }, { delete: false }).service.delete(1, 9, 40),
      ),
    ).toBe(ErrorCode.NotifyNotFound);
    expect(await rejectionCode(notices(null).service.list(1, 40))).toBe(ErrorCode.NotGroupMember);
  });
});
