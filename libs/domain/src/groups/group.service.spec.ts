import pino from 'pino';
import { ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import { answeringRepo } from '../testing/answering-repo';
import { RecordingWork } from '../testing/recording-work';
import { GroupService } from './group.service';
import type { GroupRepository } from '@chat/db';
import { rejectionCode } from '@chat/protocol/testing';

const log = pino({ level: 'silent' });

function setup(groups: Partial<Record<keyof GroupRepository, unknown>>) {
  const work = new RecordingWork();
  const published = work.events;
  const service = new GroupService({
    groups: answeringRepo<GroupRepository>(groups),
    blocks: { blockersOf: () => Promise.resolve([]), lockPairs: () => Promise.resolve() },
    work,
    defaultAvatar: 'https://example.com/default.png',
    log,
  });
  return { service, published };
}

describe('GroupService', () => {
  it('pushes group_new_account once per account actually added, to every member', async () => {
    const { service, published } = setup({ invite: { added: [5, 3], memberIds: [1, 3, 5, 9] } });
    expect(await service.invite(1, 40, [5, 7, 3])).toEqual({ invite_member: [5, 3] });
    expect(published).toEqual(
      [5, 3].map((accountId) => ({
        key: 'relation:40',
        push: {
          event: PUSH_EVENTS.groupNewAccount,
          data: { relation_id: 40, account_id: accountId },
          to: [1, 3, 5, 9],
        },
        effects: { membershipChanged: [40] },
      })),
    );
  });

  it('pushes nothing when an invite adds nobody', async () => {
    const { service, published } = setup({ invite: { added: [], memberIds: [1] } });
    expect(await service.invite(1, 40, [7])).toEqual({ invite_member: [] });
    expect(published).toEqual([]);
  });

  it('tells the quitter as well as the remaining members', async () => {
    const { service, published } = setup({ quit: { remainingIds: [1, 2] } });
    await service.quit(7, 40);
    expect(published[0]!.push).toEqual({
      event: PUSH_EVENTS.groupQuitAccount,
      data: { relation_id: 40, account_id: 7 },
      to: [1, 2, 7],
    });
  });

  it('pushes group_dissolved to the members the repository read before deleting', async () => {
    const { service, published } = setup({ dissolve: { memberIds: [1, 2, 3] } });
    expect(await service.dissolve(1, 40)).toEqual({});
    expect(published[0]).toMatchObject({
      push: { event: PUSH_EVENTS.groupDissolved, data: { relation_id: 40 }, to: [1, 2, 3] },
      effects: { membershipChanged: [40] },
    });
  });

  it('transfers with a push naming the new leader, and does nothing for oneself', async () => {
    const moved = setup({ transfer: { memberIds: [1, 2] } });
    await moved.service.transfer(1, 40, 2);
    expect(moved.published[0]!.push).toEqual({
      event: PUSH_EVENTS.groupTransferred,
      data: { relation_id: 40, account_id: 2 },
      to: [1, 2],
    });
    const same = setup({ transfer: 'unchanged' });
    expect(await same.service.transfer(1, 40, 1)).toEqual({});
    expect(same.published).toEqual([]);
  });

  it('maps each refusal to the code of docs/api.md §10', async () => {
    expect(await rejectionCode(setup({ transfer: 'not_leader' }).service.transfer(1, 2, 3))).toBe(
      ErrorCode.NotGroupLeader,
    );
    expect(await rejectionCode(setup({ transfer: 'not_member' }).service.transfer(1, 2, 3))).toBe(
      ErrorCode.NotGroupMember,
    );
    expect(await rejectionCode(setup({ dissolve: 'not_leader' }).service.dissolve(1, 2))).toBe(
      ErrorCode.NotGroupLeader,
    );
    expect(await rejectionCode(setup({ quit: 'leader' }).service.quit(1, 2))).toBe(
      ErrorCode.LeaderCannotQuit,
    );
    expect(await rejectionCode(setup({ quit: 'not_member' }).service.quit(1, 2))).toBe(
      ErrorCode.NotGroupMember,
    );
    expect(await rejectionCode(setup({ invite: 'not_member' }).service.invite(1, 2, [3]))).toBe(
      ErrorCode.NotGroupMember,
    );
    expect(await rejectionCode(setup({ role: null }).service.update(1, 2, 'n', 'd'))).toBe(
      ErrorCode.NotGroupMember,
    );
    expect(
      await rejectionCode(
        setup({ role: { isGroup: false, isLeader: false } }).service.update(1, 2, 'n', 'd'),
      ),
    ).toBe(ErrorCode.RelationNotFound);
    expect(await rejectionCode(setup({ role: null }).service.members(1, 2))).toBe(
      ErrorCode.NotGroupMember,
    );
    expect(await rejectionCode(setup({ create: 'account_gone' }).service.create(1, 'n', 'd'))).toBe(
      ErrorCode.AccountNotFound,
    );
  });

  it('creates with the default avatar and announces the new membership without a push', async () => {
    const { service, published } = setup({
      create: { id: 40, name: 'n', description: 'd', avatar: 'https://example.com/default.png' },
    });
    expect(await service.create(1, 'n', 'd')).toEqual({
      name: 'n',
      account_id: 1,
      relation_id: 40,
      description: 'd',
      avatar: 'https://example.com/default.png',
    });
    expect(published).toEqual([{ key: 'relation:40', effects: { membershipChanged: [40] } }]);
  });
});
