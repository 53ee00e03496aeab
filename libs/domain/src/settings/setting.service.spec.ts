import pino from 'pino';
import { ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import { answeringRepo } from '../testing/answering-repo';
import { RecordingWork } from '../testing/recording-work';
import type { SettingRecord, SettingRepository } from '@chat/db';
import { SettingService } from './setting.service';
import { rejectionCode } from '@chat/protocol/testing';

const log = pino({ level: 'silent' });

function setup(answers: Partial<Record<keyof SettingRepository, unknown>>) {
  const work = new RecordingWork();
  const published = work.events;
  const service = new SettingService({
    settings: answeringRepo<SettingRepository>(answers),
    work,
    log,
  });
  return { service, published };
}

const T0 = new Date('2024-05-01T08:30:00.123Z');
const base = {
  nickName: '',
  isNotDisturb: false,
  isPin: true,
  pinTime: T0,
  isShow: true,
  lastShow: T0,
};
const friendSetting: SettingRecord = {
  ...base,
  relationId: 10,
  relationType: 'friend',
  friend: { accountId: 3, name: 'carol', avatar: 'c.png' },
  group: null,
};
const groupSetting: SettingRecord = {
  ...base,
  relationId: 11,
  relationType: 'group',
  friend: null,
  group: { id: 11, name: 'hikers', description: 'we walk', avatar: 'g.png' },
};

describe('SettingService', () => {
  it('answers 4002 when the caller has no setting for the relation', async () => {
    const { service, published } = setup({ update: 'missing' });
    expect(await rejectionCode(service.update(1, 10, { field: 'isPin', value: true }))).toBe(
      ErrorCode.RelationNotFound,
    );
    expect(published).toEqual([]);
  });

  it('pushes nothing when the value was already stored', async () => {
    const { service, published } = setup({ update: 'unchanged' });
    await service.update(1, 10, { field: 'nickName', value: 'same' });
    expect(published).toEqual([]);
  });

  it('pushes update_nickname to the caller only', async () => {
    const { service, published } = setup({ update: 'changed' });
    await service.update(1, 10, { field: 'nickName', value: 'bestie' });
    expect(published).toEqual([
      {
        key: 'account:1',
        push: {
          event: PUSH_EVENTS.updateNickname,
          data: { relation_id: 10, nick_name: 'bestie' },
          to: [1],
        },
      },
    ]);
  });

  it.each([
    ['isPin', 'pin'],
    ['isNotDisturb', 'not_disturb'],
    ['isShow', 'show'],
  ] as const)('reports a change of %s as update_setting_state type %s', async (field, type) => {
    const { service, published } = setup({ update: 'changed' });
    await service.update(1, 10, { field, value: false });
    expect(published[0]!.push).toEqual({
      event: PUSH_EVENTS.updateSettingState,
      data: { type, relation_id: 10, state: false },
      to: [1],
    });
  });

  it.each([
    ['missing', ErrorCode.RelationNotFound],
    ['not_party', ErrorCode.PermissionDenied],
    ['self', ErrorCode.PermissionDenied],
  ])('answers a friend delete that found %s with %i', async (answer, code) => {
    const { service, published } = setup({ deleteFriend: answer });
    expect(await rejectionCode(service.deleteFriend(1, 10))).toBe(code);
    expect(published).toEqual([]);
  });

  it('pushes delete_relation to both accounts and marks the membership changed', async () => {
    const { service, published } = setup({ deleteFriend: { accountIds: [1, 3] } });
    await service.deleteFriend(3, 10);
    expect(published).toEqual([
      {
        key: 'relation:10',
        push: { event: PUSH_EVENTS.deleteRelation, data: { relation_id: 10 }, to: [1, 3] },
        effects: { membershipChanged: [10] },
      },
    ]);
  });

  it('shapes pins as SettingPin with exactly one of friend_info and group_info', async () => {
    const { service } = setup({ pinned: [friendSetting, groupSetting] });
    expect(await service.pins(1)).toEqual({
      list: [
        {
          relation_id: 10,
          relation_type: 'friend',
          nick_name: '',
          pin_time: T0.toISOString(),
          group_info: null,
          friend_info: { account_id: 3, name: 'carol', avatar: 'c.png' },
        },
        {
          relation_id: 11,
          relation_type: 'group',
          nick_name: '',
          pin_time: T0.toISOString(),
          group_info: { relation_id: 11, name: 'hikers', description: 'we walk', avatar: 'g.png' },
          friend_info: null,
        },
      ],
      total: 2,
    });
  });

  it('shapes shows as Setting and friends as SettingFriend', async () => {
    const { service } = setup({ shown: [groupSetting], friends: [friendSetting] });
    const shows = await service.shows(1);
    expect(shows.list[0]).toEqual({
      relation_id: 11,
      relation_type: 'group',
      nick_name: '',
      is_not_disturb: false,
      is_pin: true,
      pin_time: T0.toISOString(),
      is_show: true,
      last_show: T0.toISOString(),
      group_info: { relation_id: 11, name: 'hikers', description: 'we walk', avatar: 'g.png' },
      friend_info: null,
    });
    const friends = await service.friends(1);
    expect(friends).toEqual({
      list: [
        {
          relation_id: 10,
          relation_type: 'friend',
          nick_name: '',
          is_not_disturb: false,
          is_pin: true,
          pin_time: T0.toISOString(),
          is_show: true,
          last_show: T0.toISOString(),
          friend_info: { account_id: 3, name: 'carol', avatar: 'c.png' },
        },
      ],
      total: 1,
    });
  });
});
