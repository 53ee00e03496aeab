import { ChatError } from '@chat/client';
import { Session } from './session';
import { noSettings, shownSetting, type SettingsState } from './store';

/** A session of account 7 whose REST calls are stubs (no server, no socket). */
function sessionWithStubs() {
  const session = new Session('http://chat.test');
  session.store.set({ accountId: 7 });
  jest.spyOn(session.client, 'accountToken').mockResolvedValue('account-token');
  const api = {
    presence: jest.spyOn(session.api.setting, 'presence').mockResolvedValue({ hidden: false }),
    updatePresence: jest.spyOn(session.api.setting, 'updatePresence'),
    push: jest.spyOn(session.api.push, 'settings').mockResolvedValue({ mentions_break_dnd: true }),
    updatePush: jest.spyOn(session.api.push, 'updateSettings'),
  };
  return { session, api, settings: () => session.store.state.settings };
}

/** A promise and the functions that settle it, to hold a call open. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('the Settings panel state', () => {
  // Notices clear themselves after a few seconds: timers that must not outlive the test.
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('shows the value being saved, else the stored one', () => {
    const s: SettingsState = {
      values: { presenceHidden: false, mentionsBreakDnd: true },
      loading: false,
      saving: { presenceHidden: true },
    };
    expect(shownSetting(s, 'presenceHidden')).toBe(true);
    expect(shownSetting(s, 'mentionsBreakDnd')).toBe(true);
    expect(shownSetting(noSettings, 'presenceHidden')).toBeUndefined();
  });

  it('loads both settings with the account token, nothing shown until both answered', async () => {
    const { session, api, settings } = sessionWithStubs();
    api.presence.mockResolvedValue({ hidden: true });
    const push = deferred<{ mentions_break_dnd: boolean }>();
    api.push.mockReturnValue(push.promise);
    const loading = session.loadSettings();
    expect(settings()).toMatchObject({ values: null, loading: true });
    push.resolve({ mentions_break_dnd: false });
    await loading;
    expect(settings()).toEqual({
      values: { presenceHidden: true, mentionsBreakDnd: false },
      loading: false,
      saving: {},
    });
    expect(api.presence).toHaveBeenCalledWith('account-token');
    expect(api.push).toHaveBeenCalledWith('account-token');
  });

  it('saves a switch: the value asked for while the call runs, then the server answer', async () => {
    const { session, api, settings } = sessionWithStubs();
    await session.loadSettings();
    const reply = deferred<{ hidden: boolean }>();
    api.updatePresence.mockReturnValue(reply.promise);
    const saving = session.saveSetting('presenceHidden', true);
    expect(settings().saving).toEqual({ presenceHidden: true });
    expect(shownSetting(settings(), 'presenceHidden')).toBe(true);
    reply.resolve({ hidden: true });
    await saving;
    expect(api.updatePresence).toHaveBeenCalledWith('account-token', { hidden: true });
    expect(settings()).toEqual({
      values: { presenceHidden: true, mentionsBreakDnd: true },
      loading: false,
      saving: {},
    });

    // The push setting: what the server answers is what shows.
    api.updatePush.mockResolvedValue({ mentions_break_dnd: false });
    await session.saveSetting('mentionsBreakDnd', false);
    expect(api.updatePush).toHaveBeenCalledWith('account-token', { mentions_break_dnd: false });
    expect(settings().values).toEqual({ presenceHidden: true, mentionsBreakDnd: false });
  });

  it('goes back to the stored value and reports the server error when a save fails', async () => {
    const { session, api, settings } = sessionWithStubs();
    await session.loadSettings();
    api.updatePush.mockRejectedValue(new ChatError(2010, 'account does not exist'));
    await expect(
      session.attempt(() => session.saveSetting('mentionsBreakDnd', false)),
    ).resolves.toBeUndefined();
    expect(settings().saving).toEqual({});
    expect(shownSetting(settings(), 'mentionsBreakDnd')).toBe(true);
    expect(session.store.state.notices).toEqual([
      expect.objectContaining({ text: 'account does not exist', kind: 'error' }),
    ]);
  });

  it('leaves no settings shown when loading fails, and reports it', async () => {
    const { session, api, settings } = sessionWithStubs();
    api.presence.mockRejectedValue(new ChatError(2010, 'account does not exist'));
    await session.attempt(() => session.loadSettings());
    expect(settings()).toEqual(noSettings);
    expect(session.store.state.notices.map((n) => n.kind)).toEqual(['error']);
  });

  it('drops answers that come after a switch to another account', async () => {
    const { session, api, settings } = sessionWithStubs();
    await session.loadSettings();
    const reply = deferred<{ hidden: boolean }>();
    api.updatePresence.mockReturnValue(reply.promise);
    const saving = session.saveSetting('presenceHidden', true);
    const push = deferred<{ mentions_break_dnd: boolean }>();
    api.push.mockReturnValue(push.promise);
    const loading = session.loadSettings();
    session.store.set({ accountId: 8, settings: noSettings });
    reply.resolve({ hidden: true });
    push.resolve({ mentions_break_dnd: false });
    await Promise.all([saving, loading]);
    expect(settings()).toEqual(noSettings);
  });
});
