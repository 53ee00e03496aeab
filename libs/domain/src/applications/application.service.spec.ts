import pino from 'pino';
import { ErrorCode, PUSH_EVENTS, SYSTEM_TEXTS } from '@chat/protocol';
import { answeringRepo } from '../testing/answering-repo';
import { RecordingWork } from '../testing/recording-work';
import { ApplicationService, applicationInfo } from './application.service';
import type { ApplicationRecord, ApplicationRepository } from '@chat/db';
import { rejectionCode } from '@chat/protocol/testing';

const log = pino({ level: 'silent' });

const T0 = new Date('2024-05-01T08:30:00.123Z');

function application(overrides: Partial<ApplicationRecord> = {}): ApplicationRecord {
  return {
    applicant: { id: 1, name: 'alice', avatar: 'a.png' },
    target: { id: 2, name: 'bob', avatar: 'b.png' },
    applyMsg: 'hi',
    refuseMsg: '',
    status: '已申请',
    createAt: T0,
    updateAt: T0,
    ...overrides,
  };
}

function setup(answers: Partial<Record<keyof ApplicationRepository, unknown>>) {
  const work = new RecordingWork();
  const service = new ApplicationService({
    applications: answeringRepo<ApplicationRepository>(answers),
    blocks: {
      lockPair: () => Promise.resolve(),
      between: () => Promise.resolve({ aBlocksB: false, bBlocksA: false }),
    },
    work,
    ids: { next: () => 77, timeOf: () => T0 },
    log,
  });
  return { service, work, published: work.events, messages: work.messages, order: work.order };
}

describe('applicationInfo', () => {
  it('shows each party the name and avatar of the other one', () => {
    const a = application();
    expect(applicationInfo(a, 1)).toEqual({
      account1_id: 1,
      account2_id: 2,
      apply_msg: 'hi',
      refuse_msg: '',
      status: '已申请',
      create_at: '2024-05-01T08:30:00.123Z',
      update_at: '2024-05-01T08:30:00.123Z',
      name: 'bob',
      avatar: 'b.png',
    });
    expect(applicationInfo(a, 2)).toMatchObject({ name: 'alice', avatar: 'a.png' });
  });
});

describe('ApplicationService', () => {
  it('refuses an application to oneself before touching storage', async () => {
    const { service } = setup({});
    expect(await rejectionCode(service.create(5, 5, 'me'))).toBe(ErrorCode.ApplicationInvalid);
  });

  it.each([
    ['target_missing', ErrorCode.AccountNotFound],
    ['applicant_missing', ErrorCode.AccountNotFound],
    ['friends', ErrorCode.RelationExists],
    ['pending', ErrorCode.ApplicationExists],
  ])('answers a create that found %s with %i and pushes nothing', async (answer, code) => {
    const { service, published } = setup({ create: answer });
    expect(await rejectionCode(service.create(1, 2, 'hi'))).toBe(code);
    expect(published).toEqual([]);
  });

  it('pushes the new application to both parties, each with the other one’s name', async () => {
    const { service, published } = setup({ create: application() });
    await service.create(1, 2, 'hi');
    expect(
      published.map((e) => [e.key, e.push?.to, (e.push?.data as { name: string }).name]),
    ).toEqual([
      ['account:1', [1], 'bob'],
      ['account:2', [2], 'alice'],
    ]);
    expect(published.every((e) => e.push?.event === PUSH_EVENTS.application)).toBe(true);
  });

  it.each([
    ['missing', ErrorCode.ApplicationNotFound],
    ['accepted', ErrorCode.ApplicationRepeated],
    ['applicant_missing', ErrorCode.AccountNotFound],
    ['friends', ErrorCode.RelationExists],
  ])('answers an accept that found %s with %i, with no message', async (answer, code) => {
    const { service, work, published, messages } = setup({ accept: answer });
    expect(await rejectionCode(service.accept(2, 1))).toBe(code);
    // Refused inside the unit of work: whatever it wrote is rolled back with it.
    expect(work.rolledBack).toBe(1);
    expect(published).toEqual([]);
    expect(messages).toEqual([]);
  });

  it('records "成为好友" first, then the membership change and both application pushes', async () => {
    const accepted = application({ status: '已同意' });
    const { service, published, messages, order } = setup({
      accept: { application: accepted, relationId: 40 },
    });
    await service.accept(2, 1);
    expect(order).toEqual(['message', 'events']);
    expect(messages).toEqual([
      {
        id: 77,
        relation_id: 40,
        notify_type: 'system',
        msg_type: 'text',
        msg_content: SYSTEM_TEXTS.becameFriends,
        msg_extend: null,
        file_id: null,
        account_id: null,
        rly_msg_id: null,
        client_msg_id: null,
        create_at: T0.toISOString(),
      },
    ]);
    expect(published[0]).toEqual({
      key: 'relation:40',
      effects: { membershipChanged: [40] },
    });
    expect(published.slice(1).map((e) => e.push)).toEqual([
      { event: PUSH_EVENTS.application, data: applicationInfo(accepted, 1), to: [1] },
      { event: PUSH_EVENTS.application, data: applicationInfo(accepted, 2), to: [2] },
    ]);
  });

  it.each([
    ['missing', ErrorCode.ApplicationNotFound],
    ['handled', ErrorCode.ApplicationRepeated],
  ])('answers a refuse that found %s with %i', async (answer, code) => {
    const { service } = setup({ refuse: answer });
    expect(await rejectionCode(service.refuse(2, 1, 'no'))).toBe(code);
  });

  it('answers 3002 when there is no application of the caller to delete', async () => {
    const { service } = setup({ remove: false });
    expect(await rejectionCode(service.delete(1, 2))).toBe(ErrorCode.ApplicationNotFound);
  });

  it('lists applications as the caller sees them', async () => {
    const { service } = setup({ listOf: { rows: [application()], total: 3 } });
    expect(await service.list(2, 1, 10)).toEqual({
      list: [expect.objectContaining({ name: 'alice', account1_id: 1 })],
      total: 3,
    });
  });
});
