import { ErrorCode } from '@chat/protocol';
import { rejectionCode } from '@chat/protocol/testing';
import { RecordingWork } from '../testing/recording-work';
import { PresenceSettingService } from './presence-setting.service';

/** `presence_hidden` per existing account, as the repository keeps it. */
function setup(accounts: Map<number, boolean>) {
  const work = new RecordingWork();
  const service = new PresenceSettingService({
    presence: {
      hidden: async (ids) =>
        new Map(ids.filter((id) => accounts.has(id)).map((id) => [id, accounts.get(id)!])),
      setHidden: async (id, hidden) => {
        if (!accounts.has(id)) return false;
        accounts.set(id, hidden);
        return true;
      },
    },
    work,
  });
  return { service, work };
}

describe('PresenceSettingService (GET/PUT /api/setting/presence)', () => {
  it('reads and sets the caller’s setting, announcing each set on chat.presence', async () => {
    const accounts = new Map([[7, false]]);
    const { service, work } = setup(accounts);
    expect(await service.get(7)).toEqual({ hidden: false });
    expect(await service.set(7, true)).toEqual({ hidden: true });
    expect(accounts.get(7)).toBe(true);
    expect(await service.get(7)).toEqual({ hidden: true });
    await service.set(7, true); // unchanged: announced still, the gateways push nothing
    expect(work.presence).toEqual([7, 7]);
    expect(work.events).toEqual([]);
  });

  it('answers 2010 for an account that no longer exists, announcing nothing', async () => {
    const { service, work } = setup(new Map());
    expect(await rejectionCode(service.get(9))).toBe(ErrorCode.AccountNotFound);
    expect(await rejectionCode(service.set(9, true))).toBe(ErrorCode.AccountNotFound);
    expect(work.presence).toEqual([]);
    expect(work.rolledBack).toBe(1);
  });
});
