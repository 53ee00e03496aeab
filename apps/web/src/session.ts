import {
  ChatClient,
  ChatError,
  TypingIndicators,
  type CallOptions,
  type ChatApi,
  type HttpMethod,
  type MessageChange,
  type PushEvents,
  type SettingFriend,
} from '@chat/client';
import {
  applyReaction,
  mergeMessages,
  noSettings,
  Store,
  unionIds,
  type AccountInfo,
  type AccountSettings,
  type ApplicationInfo,
  type Conversation,
  type Message,
  type Panel,
} from './store';

/** How often a typing device refreshes its indicator (docs/protocol.md §3.4). */
const TYPING_REFRESH_MS = 3000;

/** The settings both a friendship and a group have (docs/api.md §3). */
type SettingBase = Omit<SettingFriend, 'friend_info' | 'relation_type'> & {
  relation_type: 'friend' | 'group';
};

export interface GroupMember {
  account_id: number;
  name: string;
  avatar: string;
  nick_name: string;
  is_leader: boolean;
}

export interface Notice {
  id: number;
  relation_id: number;
  msg_content: string;
  account_id: number;
  create_at: string;
}

export type FoundAccount = AccountInfo & { relation_id: number };

const SAVED = 'chat.session';
/** `msg/list/time` page size of a conversation's history. */
const PAGE_SIZE = 50;
/** How far back `msg/list/feed` looks for unread messages at start. */
const UNREAD_WINDOW_S = 30 * 24 * 3600;
/** More than any conversation's sequence: a sync from here returns only `last_seq`. */
const PAST_EVERY_SEQ = 2 ** 31;

/** A client message id without `crypto.randomUUID`, which plain-http pages (a phone on the LAN) lack. */
function newClientMsgId(): string {
  if (typeof crypto.randomUUID === 'function' && isSecureContext) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What the signed-in person does, through the SDK's `ChatClient` (docs/api.md,
 * docs/protocol.md): it holds the tokens and the account's socket, delivers every message once
 * and in order (pushed, or caught up by sync after a reconnection), and every change to a
 * message (live, or made while away); REST goes through its `ChatApi`. Every answer, message,
 * change and push is folded into the store.
 */
export class Session {
  readonly store = new Store();
  readonly client: ChatClient;
  readonly api: ChatApi;
  private noticeId = 0;
  /** While the conversation list loads: a message of one not listed yet is in it. */
  private conversationsLoading: Promise<void> | null = null;
  /** Who types where, from the `typing` pushes; mirrored into `state.typing`. */
  private readonly typingIndicators = new TypingIndicators();
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  /** When this device last told a conversation it types (relation id → epoch ms). */
  private readonly typingSent = new Map<number, number>();

  constructor(private readonly origin: string = location.origin) {
    this.client = new ChatClient({ baseUrl: origin, newClientMsgId });
    this.api = this.client.api;
    this.subscribe();
  }

  /** The current account's socket, once `useAccount` made one. */
  private get socket() {
    return this.client.socket;
  }

  // ---------------------------------------------------------------------------------------
  // REST with the account token; a 1004 (rate limit) is waited out and tried again.

  call<T>(method: HttpMethod, path: string, options: CallOptions = {}, user = false): Promise<T> {
    return this.withToken(
      (token) => this.api.request<T>(method, path, { ...options, token }),
      user,
    );
  }

  /** A typed `ChatApi` call (`api.setting.friendList`…) with the token and retries of `call`. */
  async withToken<T>(request: (token: string) => Promise<T>, user = false): Promise<T> {
    const token = user ? this.store.state.userToken : await this.currentAccountToken();
    // ChatClient's own calls (its sync, its lists) wait out a 1004 alike.
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(token);
      } catch (err) {
        if (err instanceof ChatError && err.code === 1004 && attempt < 6) {
          await sleep(300 * (attempt + 1));
          continue;
        }
        if (user) this.checkSession(err);
        throw err;
      }
    }
  }

  /** Runs an action, reporting its failure as a notice; resolves with its result or undefined. */
  async attempt<T>(action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (err) {
      this.notify(err instanceof Error ? err.message : String(err), 'error');
      return undefined;
    }
  }

  notify(text: string, kind: 'info' | 'error' = 'info'): void {
    const id = ++this.noticeId;
    this.store.set((s) => ({ notices: [...s.notices, { id, text, kind }].slice(-4) }));
    setTimeout(
      () => this.store.set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
      6000,
    );
  }

  // ---------------------------------------------------------------------------------------
  // Start, sign-up, login, accounts (docs/api.md §5–7).

  async restore(): Promise<void> {
    void this.probeDevMailbox();
    const saved = readSaved();
    if (!saved) return;
    this.setUserToken(saved.email, saved.userToken);
    try {
      await this.loadAccounts();
    } catch {
      this.forget();
      return;
    }
    const account = this.store.state.accounts.find((a) => a.account_id === saved.accountId);
    if (!account) return void this.store.set({ screen: 'accounts' });
    try {
      await this.useAccount(account.account_id);
    } catch (err) {
      this.closeAccount();
      this.store.set({ screen: 'accounts' });
      this.notify(err instanceof Error ? err.message : String(err), 'error');
    }
  }

  private async probeDevMailbox(): Promise<void> {
    try {
      const res = await fetch(`${this.origin}/dev/mailbox.json?to=-`, {
        headers: { Accept: 'application/json' },
      });
      this.store.set({
        devMailbox: res.ok && (res.headers.get('content-type') ?? '').includes('json'),
      });
    } catch {
      this.store.set({ devMailbox: false });
    }
  }

  async sendCode(email: string): Promise<void> {
    await this.api.request('POST', '/api/email/send', { body: { email } });
  }

  async signUp(email: string, password: string, code: string): Promise<void> {
    const data = await this.api.user.register({ email, password, code });
    await this.signedIn(email, data.user_token.token);
  }

  async logIn(email: string, password: string): Promise<void> {
    const data = await this.client.login(email, password);
    await this.signedIn(email, data.user_token.token);
  }

  /** The user token, for the app's user calls and for ChatClient's account tokens. */
  private setUserToken(email: string, userToken: string): void {
    this.store.set({ email, userToken });
    // ChatClient reads only the token of a user token, never its expiry.
    this.client.setUserToken({ token: userToken, expired_at: '' });
  }

  private async signedIn(email: string, userToken: string): Promise<void> {
    this.setUserToken(email, userToken);
    save({ email, userToken, accountId: 0 });
    await this.loadAccounts();
    const { accounts } = this.store.state;
    if (accounts.length === 1) await this.useAccount(accounts[0].account_id);
    else this.store.set({ screen: 'accounts' });
  }

  async loadAccounts(): Promise<void> {
    const data = await this.call<{ list: AccountInfo[] }>(
      'GET',
      '/api/account/infos/user',
      {},
      true,
    );
    this.store.set({ accounts: data.list });
  }

  async createAccount(name: string, gender: string, signature: string): Promise<void> {
    const data = await this.call<{ id: number }>(
      'POST',
      '/api/account/create',
      { body: { name, gender, signature } },
      true,
    );
    await this.loadAccounts();
    await this.useAccount(data.id);
  }

  /**
   * Leaves the current account (socket closed, state cleared) and opens `accountId`: ChatClient
   * connects its socket (resuming each conversation where this page left it, when switching
   * back) while the lists load.
   */
  async useAccount(accountId: number): Promise<void> {
    this.closeAccount();
    const account = this.store.state.accounts.find((a) => a.account_id === accountId);
    this.store.set({
      accountId,
      accountName: account?.name ?? '',
      screen: 'chat',
      panel: 'chat',
      openId: 0,
      conversations: {},
      histories: {},
      applications: [],
      settings: noSettings,
    });
    save({ email: this.store.state.email, userToken: this.store.state.userToken, accountId });
    await Promise.all([
      this.client.switchAccount(accountId),
      this.loadConversations(),
      this.loadApplications(),
    ]);
  }

  showAccounts(): void {
    this.store.set({ screen: 'accounts' });
    void this.attempt(() => this.loadAccounts());
  }

  async logOut(): Promise<void> {
    const { userToken } = this.store.state;
    this.closeAccount();
    this.forget();
    if (userToken)
      await this.api
        .request('POST', '/api/user/logout', { token: userToken })
        .catch(() => undefined);
  }

  private forget(): void {
    localStorage.removeItem(SAVED);
    this.store.set({
      screen: 'auth',
      userToken: '',
      accounts: [],
      accountId: 0,
      conversations: {},
      histories: {},
      settings: noSettings,
    });
  }

  private closeAccount(): void {
    this.client.close();
    clearTimeout(this.typingTimer);
    this.typingSent.clear();
    this.store.set({ connection: 'offline', typing: {} });
  }

  /** The account's token from ChatClient: the one held, or one renewed when due. */
  private async currentAccountToken(): Promise<string> {
    try {
      return await this.client.accountToken(this.store.state.accountId);
    } catch (err) {
      this.checkSession(err);
      throw err;
    }
  }

  /**
   * A user token the server no longer takes (expired, logged out elsewhere, password or
   * email changed: 2013; user gone: 2001; unreadable: 2008) ends the session here too.
   */
  private checkSession(err: unknown): void {
    if (!(err instanceof ChatError) || err.reason !== 'reply') return;
    if (![2001, 2008, 2013].includes(err.code)) return;
    this.closeAccount();
    this.forget();
    this.notify(`Signed out: ${err.message}`, 'error');
  }

  // ---------------------------------------------------------------------------------------
  // ChatClient's messages, changes and pushes (docs/protocol.md §4), for whichever account
  // is open: subscribed once, ChatClient hands over only the current account's.

  private subscribe(): void {
    const client = this.client;
    client.onState((state) => this.store.set({ connection: state }));
    client.onMessage((msg) => this.received(msg as Message));
    client.onMessageChanged((change) => this.changed(change));
    client.onError((err) => {
      const message = err instanceof Error ? err.message : String(err);
      if (client.accountId === null && this.store.state.screen === 'chat') {
        // ChatClient stopped the account's session: its token was refused, and so was the
        // renewal. The user's session ended (sign in again), or the account is gone.
        this.checkSession(err);
        if (this.store.state.screen !== 'chat') return;
        this.closeAccount();
        this.store.set({ screen: 'accounts' });
        this.notify(`Disconnected: ${message}`, 'error');
        return;
      }
      // A catch-up that failed (retried at the next connection or gap), or a bug here.
      this.notify(message, 'error');
    });
    client.on('read_msg', (data) => {
      if (data.reader_id === this.store.state.accountId) {
        // This account read on another device.
        this.store.updateConversation(data.relation_id, (c) => ({
          readUpTo: Math.max(c.readUpTo, data.last_read_msg_id),
          unread: 0,
        }));
        return;
      }
      const me = this.store.state.accountId;
      this.store.updateHistory(data.relation_id, (h) => ({
        messages: h.messages.map((m) =>
          m.account_id === me &&
          m.id <= data.last_read_msg_id &&
          !m.read_ids?.includes(data.reader_id)
            ? { ...m, read_ids: unionIds(m.read_ids ?? [], [data.reader_id]) }
            : m,
        ),
      }));
    });
    client.on('typing', (data) => {
      this.typingIndicators.apply(data);
      this.refreshTyping();
    });
    client.on('application', (app) => {
      const me = this.store.state.accountId;
      this.notify(
        app.status === '已同意'
          ? `${app.name} is now your friend`
          : app.status === '已拒绝'
            ? `${app.name} refused the friend request`
            : app.account1_id === me
              ? `Friend request sent to ${app.name}`
              : `Friend request from ${app.name}`,
      );
      void this.attempt(() => this.loadApplications());
      if (app.status === '已同意') void this.attempt(() => this.loadConversations());
    });
    client.on('delete_relation', ({ relation_id }) => this.dropConversation(relation_id));
    client.on('group_dissolved', ({ relation_id }) => {
      this.notify('A group was dissolved');
      this.dropConversation(relation_id);
    });
    client.on('group_quit_account', ({ relation_id, account_id }) => {
      if (account_id === this.store.state.accountId) this.dropConversation(relation_id);
    });
    client.on('group_new_account', ({ account_id }) => {
      if (account_id === this.store.state.accountId)
        void this.attempt(() => this.loadConversations());
    });
    client.on('update_setting_state', ({ type, relation_id, state }) => {
      this.store.updateConversation(relation_id, () =>
        type === 'pin'
          ? { isPin: state, pinTime: new Date().toISOString() }
          : type === 'show'
            ? { isShow: state }
            : { isNotDisturb: state },
      );
    });
    client.on('update_nickname', ({ relation_id, nick_name }) => {
      this.store.updateConversation(relation_id, (c) => ({
        nickName: nick_name,
        title: nick_name || c.name,
      }));
    });
    client.on('update_account', (data) => {
      if (data.account_id === this.store.state.accountId)
        this.store.set({ accountName: data.name });
    });
    client.on('create_notify', (n) => this.notify(`New group notice: ${n.msg_content}`));
    client.on('update_notify', (n) => this.notify(`Group notice changed: ${n.msg_content}`));
    client.on('account_login', ({ address }) =>
      this.notify(`This account connected on another device (${address})`),
    );
    client.on('error', ({ status_code, status_msg }) => {
      if (status_code === 2013 || status_code === 2010) this.notify(status_msg, 'error');
    });
  }

  /**
   * A change to a message (ChatClient's `onMessageChanged`): a push says what changed; a
   * change made while this page was away comes as the whole message, as it is now.
   */
  private changed(change: MessageChange): void {
    switch (change.source) {
      case 'edit_msg':
        return this.edited(change.push);
      case 'msg_reaction':
        return this.reacted(change.push);
      case 'update_msg_state':
        return this.stateChanged(change.push);
      case 'sync':
        return this.replaced(change.message as Message);
    }
  }

  /** A message as it is now: where it shows (history, top, quotes, the list's last message). */
  private replaced(msg: Message): void {
    const quote = (m: Message): Message =>
      m.rly_msg?.msg_id === msg.id
        ? {
            ...m,
            rly_msg: {
              ...m.rly_msg,
              msg_content: msg.msg_content,
              msg_extend: msg.msg_extend,
              is_revoke: msg.is_revoke,
            },
          }
        : m;
    this.store.updateHistory(msg.relation_id, (h) => ({
      // Only where it is loaded: an older message stays on its page.
      messages: h.messages.some((m) => m.id === msg.id)
        ? mergeMessages(h.messages, [msg]).map(quote)
        : h.messages.map(quote),
      top: msg.is_top ? msg : h.top?.id === msg.id ? null : h.top,
    }));
    this.store.updateConversation(msg.relation_id, (c) => ({
      last: c.last?.id === msg.id ? { ...c.last, ...msg } : c.last,
    }));
  }

  private edited(data: PushEvents['edit_msg']): void {
    const patch = (m: Message): Message =>
      m.id === data.msg_id ? { ...m, msg_content: data.msg_content, edit_at: data.edit_at } : m;
    const patchReply = (m: Message): Message =>
      m.rly_msg?.msg_id === data.msg_id
        ? { ...m, rly_msg: { ...m.rly_msg, msg_content: data.msg_content } }
        : patch(m);
    this.store.updateHistory(data.relation_id, (h) => ({
      messages: h.messages.map(patchReply),
      top: h.top && patch(h.top),
    }));
    this.store.updateConversation(data.relation_id, (c) => ({ last: c.last && patch(c.last) }));
  }

  private reacted(data: PushEvents['msg_reaction']): void {
    const me = this.store.state.accountId;
    this.store.updateHistory(data.relation_id, (h) => ({
      messages: h.messages.map((m) => (m.id === data.msg_id ? applyReaction(m, data, me) : m)),
    }));
  }

  private stateChanged(data: PushEvents['update_msg_state']): void {
    const patch = (m: Message): Message => {
      if (m.id !== data.msg_id) return m;
      if (data.type === 'revoke')
        return { ...m, is_revoke: data.state, msg_content: '', msg_extend: null };
      if (data.type === 'pin') return { ...m, is_pin: data.state };
      return { ...m, is_top: data.state };
    };
    this.store.updateHistory(data.relation_id, (h) => ({
      messages: h.messages.map((m) =>
        m.rly_msg?.msg_id === data.msg_id && data.type === 'revoke'
          ? {
              ...m,
              rly_msg: { ...m.rly_msg, is_revoke: true, msg_content: '', msg_extend: null },
            }
          : patch(m),
      ),
      top:
        data.type === 'top'
          ? data.state
            ? (h.messages.find((m) => m.id === data.msg_id) ?? h.top)
            : h.top?.id === data.msg_id
              ? null
              : h.top
          : h.top && patch(h.top),
    }));
    this.store.updateConversation(data.relation_id, (c) => ({ last: c.last && patch(c.last) }));
    if (data.type === 'top' && data.state && this.store.state.histories[data.relation_id]) {
      void this.attempt(() => this.loadTop(data.relation_id));
    }
  }

  private dropConversation(relationId: number): void {
    this.store.set((s) => {
      const conversations = { ...s.conversations };
      delete conversations[relationId];
      return { conversations, openId: s.openId === relationId ? 0 : s.openId };
    });
  }

  /**
   * A message from ChatClient, pushed or caught up by sync (once, in order): into the history,
   * the list's last message and unread count.
   */
  private received(msg: Message): void {
    const me = this.store.state.accountId;
    const conv = this.store.state.conversations[msg.relation_id];
    if (!conv) {
      // A conversation new to the list (a new friend, a group joined), unless the list is
      // loading now: then its last message and unread count come with it.
      if (!this.conversationsLoading) void this.attempt(() => this.loadConversations());
      return;
    }
    const open = this.store.state.openId === msg.relation_id && this.store.state.panel === 'chat';
    // System messages ("now friends", top changes) are news, not something to read.
    const fromOther = msg.account_id !== me && msg.notify_type !== 'system';
    this.store.updateConversation(msg.relation_id, (c) => ({
      last: !c.last || c.last.id <= msg.id ? msg : c.last,
      unread:
        c.unread +
        (fromOther && !open && msg.id > c.readUpTo && (!c.last || c.last.id < msg.id) ? 1 : 0),
      isShow: true,
    }));
    this.store.updateHistory(msg.relation_id, (h) => ({
      messages: mergeMessages(h.messages, [msg]),
    }));
    if (msg.relation_id === this.store.state.openId) this.markRead(msg.relation_id);
  }

  // ---------------------------------------------------------------------------------------
  // Conversations (docs/api.md §9–11).

  /** The friend and group lists, then the summaries of conversations new to the list. */
  async loadConversations(): Promise<void> {
    const loading = this.fetchConversations();
    this.conversationsLoading = loading;
    try {
      await loading;
    } finally {
      if (this.conversationsLoading === loading) this.conversationsLoading = null;
    }
  }

  private async fetchConversations(): Promise<void> {
    const [friends, groups] = await Promise.all([
      this.withToken((token) => this.api.setting.friendList(token)),
      this.withToken((token) => this.api.group.list(token)),
    ]);
    const old = this.store.state.conversations;
    const conversations: Record<number, Conversation> = {};
    const base = (s: SettingBase, name: string, avatar: string): Conversation => ({
      relationId: s.relation_id,
      type: s.relation_type,
      title: s.nick_name || name,
      name,
      avatar,
      nickName: s.nick_name,
      isPin: s.is_pin,
      isShow: s.is_show,
      isNotDisturb: s.is_not_disturb,
      pinTime: s.pin_time,
      lastShow: s.last_show,
      unread: old[s.relation_id]?.unread ?? 0,
      readUpTo: old[s.relation_id]?.readUpTo ?? 0,
      last: old[s.relation_id]?.last,
    });
    for (const f of friends.list) {
      const self = f.friend_info.account_id === this.store.state.accountId;
      conversations[f.relation_id] = {
        ...base(f, self ? `${f.friend_info.name} (you)` : f.friend_info.name, f.friend_info.avatar),
        friendId: f.friend_info.account_id,
      };
    }
    for (const g of groups.list) {
      conversations[g.relation_id] = {
        ...base(g, g.group_info.name, g.group_info.avatar),
        description: g.group_info.description,
      };
    }
    this.store.set({ conversations });
    const fresh = Object.values(conversations).filter((c) => !old[c.relationId]);
    if (fresh.length > 0) await this.loadSummaries(fresh);
  }

  /** The last message (by sync from the newest `seq`) and unread count (`msg/list/feed`). */
  private async loadSummaries(convs: Conversation[]): Promise<void> {
    for (let i = 0; i < convs.length; i += 100) {
      const batch = convs.slice(i, i + 100);
      const heads = await this.call<{ list: { relation_id: number; last_seq: number }[] }>(
        'POST',
        '/api/msg/sync',
        {
          body: {
            relations: batch.map((c) => ({ relation_id: c.relationId, after_seq: PAST_EVERY_SEQ })),
            limit: 1,
          },
        },
      );
      const withMessages = heads.list.filter((h) => h.last_seq > 0);
      if (withMessages.length === 0) continue;
      const lasts = await this.call<{ list: { relation_id: number; messages: Message[] }[] }>(
        'POST',
        '/api/msg/sync',
        {
          body: {
            relations: withMessages.map((h) => ({
              relation_id: h.relation_id,
              after_seq: h.last_seq - 1,
            })),
            limit: 1,
          },
        },
      );
      for (const rel of lasts.list) {
        const last = rel.messages[rel.messages.length - 1];
        if (last) this.store.updateConversation(rel.relation_id, () => ({ last }));
      }
    }
    const me = this.store.state.accountId;
    const since = Math.max(1, Math.floor(Date.now() / 1000) - UNREAD_WINDOW_S);
    const unread = new Map<number, number>();
    for (let page = 1; page <= 5; page++) {
      const feed = await this.call<{ list: Message[]; total: number }>(
        'GET',
        '/api/msg/list/feed',
        {
          query: { last_time: since, page, page_size: 200 },
        },
      );
      for (const m of feed.list) {
        if (!m.has_read && m.account_id !== me && m.notify_type !== 'system')
          unread.set(m.relation_id, (unread.get(m.relation_id) ?? 0) + 1);
      }
      if (page * 200 >= feed.total) break;
    }
    const wanted = new Set(convs.map((c) => c.relationId));
    for (const [relationId, count] of unread) {
      if (wanted.has(relationId))
        this.store.updateConversation(relationId, () => ({ unread: count }));
    }
  }

  async open(relationId: number): Promise<void> {
    this.store.set({ openId: relationId, panel: 'chat' });
    if (!this.store.state.histories[relationId]) {
      this.store.set((s) => ({
        histories: {
          ...s.histories,
          [relationId]: { messages: [], firstPage: 1, pageSize: PAGE_SIZE, loading: true },
        },
      }));
      await this.attempt(async () => {
        const until = Math.floor(Date.now() / 1000) + 60;
        const count = await this.call<{ total: number }>('GET', '/api/msg/list/time', {
          query: { relation_id: relationId, last_time: until, page: 1, page_size: 1 },
        });
        const page = Math.max(1, Math.ceil(count.total / PAGE_SIZE));
        const [data, top] = await Promise.all([
          this.call<{ list: Message[] }>('GET', '/api/msg/list/time', {
            query: { relation_id: relationId, last_time: until, page, page_size: PAGE_SIZE },
          }),
          this.call<{ msg_info: Message } | undefined>('GET', '/api/msg/info/top', {
            query: { relation_id: relationId },
          }),
        ]);
        this.store.updateHistory(relationId, (h) => ({
          messages: mergeMessages(h.messages, data.list),
          firstPage: page,
          top: top?.msg_info ?? null,
        }));
        const last = data.list[data.list.length - 1];
        if (last)
          this.store.updateConversation(relationId, (c) => ({
            last: !c.last || c.last.id < last.id ? last : c.last,
          }));
      });
      this.store.updateHistory(relationId, () => ({ loading: false }));
    }
    this.markRead(relationId);
  }

  /** The conversation's top message (`msg/info/top`), when it is not among those loaded. */
  async loadTop(relationId: number): Promise<void> {
    const top = await this.call<{ msg_info: Message } | undefined>('GET', '/api/msg/info/top', {
      query: { relation_id: relationId },
    });
    this.store.updateHistory(relationId, () => ({ top: top?.msg_info ?? null }));
  }

  async loadOlder(relationId: number): Promise<void> {
    const history = this.store.state.histories[relationId];
    if (!history || history.firstPage <= 1 || history.loading) return;
    this.store.updateHistory(relationId, () => ({ loading: true }));
    await this.attempt(async () => {
      const data = await this.call<{ list: Message[] }>('GET', '/api/msg/list/time', {
        query: {
          relation_id: relationId,
          last_time: Math.floor(Date.now() / 1000) + 60,
          page: history.firstPage - 1,
          page_size: history.pageSize,
        },
      });
      this.store.updateHistory(relationId, (h) => ({
        messages: mergeMessages(h.messages, data.list),
        firstPage: h.firstPage - 1,
      }));
    });
    this.store.updateHistory(relationId, () => ({ loading: false }));
  }

  close(): void {
    this.store.set({ openId: 0 });
  }

  setPanel(panel: Panel): void {
    this.store.set({ panel });
    if (panel === 'friends') void this.attempt(() => this.loadApplications());
    if (panel === 'settings') void this.attempt(() => this.loadSettings());
    if (panel === 'chat' && this.store.state.openId) this.markRead(this.store.state.openId);
  }

  /** Marks the open conversation read up to its newest message (`read_msg`, protocol.md §3.3). */
  markRead(relationId: number): void {
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return;
    const { openId, panel } = this.store.state;
    if (openId !== relationId || panel !== 'chat') return;
    const conv = this.store.state.conversations[relationId];
    const history = this.store.state.histories[relationId];
    if (!conv || !history || !this.socket) return;
    const newest = history.messages.filter((m) => !m.pending).at(-1);
    if (!newest || newest.id <= conv.readUpTo) {
      if (conv.unread) this.store.updateConversation(relationId, () => ({ unread: 0 }));
      return;
    }
    this.store.updateConversation(relationId, () => ({ readUpTo: newest.id, unread: 0 }));
    this.client.markRead(relationId, newest.id).catch(() => {
      // Not read after all: the next look tries again.
      this.store.updateConversation(relationId, (c) => ({
        readUpTo: Math.min(c.readUpTo, conv.readUpTo),
      }));
    });
  }

  /**
   * Sends a text over the socket (ChatClient's `send`); shown at once, confirmed by the ack
   * (same client_msg_id on resends), then delivered again by sync with its `seq`.
   */
  async send(relationId: number, text: string, replyTo?: Message): Promise<void> {
    if (!this.socket) return;
    const clientMsgId = newClientMsgId();
    const now = new Date().toISOString();
    const me = this.store.state.accountId;
    const draft: Message = {
      id: Number.MAX_SAFE_INTEGER - Math.floor(Math.random() * 1e6),
      notify_type: 'common',
      msg_type: 'text',
      msg_content: text,
      msg_extend: null,
      file_id: 0,
      account_id: me,
      relation_id: relationId,
      create_at: now,
      is_revoke: false,
      is_top: false,
      is_pin: false,
      pin_time: now,
      read_ids: [],
      reply_count: 0,
      seq: 0,
      edit_at: null,
      mentioned_me: false,
      reactions: [],
      rly_msg: replyTo
        ? {
            msg_id: replyTo.id,
            msg_type: replyTo.msg_type,
            msg_content: replyTo.msg_content,
            msg_extend: replyTo.msg_extend,
            is_revoke: replyTo.is_revoke,
          }
        : null,
      pending: true,
    };
    this.store.updateHistory(relationId, (h) => ({ messages: [...h.messages, draft] }));
    try {
      const ack = await this.client.send({
        relation_id: relationId,
        msg_content: text,
        rly_msg_id: replyTo?.id ?? 0,
        client_msg_id: clientMsgId,
      });
      const sent: Message = {
        ...draft,
        id: ack.msg_id,
        create_at: ack.create_at,
        pin_time: ack.create_at,
        pending: false,
      };
      this.store.updateHistory(relationId, (h) => ({
        messages: mergeMessages(
          h.messages.filter((m) => m !== draft),
          [sent],
        ),
      }));
      this.store.updateConversation(relationId, (c) => ({
        last: !c.last || c.last.id < sent.id ? sent : c.last,
      }));
    } catch (err) {
      this.store.updateHistory(relationId, (h) => ({
        messages: h.messages.filter((m) => m !== draft),
      }));
      this.notify(`Not sent: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
  }

  /** `POST /api/msg/file` (multipart): the message arrives as a `send_msg` push. */
  async sendFile(relationId: number, file: File, replyTo?: Message): Promise<void> {
    const form = new FormData();
    form.set('relation_id', String(relationId));
    if (replyTo) form.set('rly_msg_id', String(replyTo.id));
    form.set('file', file, file.name);
    await this.call('POST', '/api/msg/file', { form });
  }

  /** Mirrors the typing indicators into the store, and again when the next one expires. */
  private refreshTyping(): void {
    clearTimeout(this.typingTimer);
    const typing: Record<number, number[]> = {};
    for (const relationId of Object.keys(this.store.state.conversations).map(Number)) {
      const who = this.typingIndicators.typing(relationId);
      if (who.length) typing[relationId] = who;
    }
    this.store.set({ typing });
    const next = this.typingIndicators.nextExpiry();
    if (next !== undefined) {
      this.typingTimer = setTimeout(() => this.refreshTyping(), Math.max(50, next - Date.now()));
    }
  }

  /**
   * Tells the conversation this device types (`typing`, docs/protocol.md §3.4): at most every
   * 3 s while the text changes, and once `false` when the text is sent or cleared.
   */
  typing(relationId: number, state: boolean): void {
    const socket = this.socket;
    if (!socket || this.store.state.connection !== 'open') return;
    const last = this.typingSent.get(relationId);
    if (state) {
      if (last !== undefined && Date.now() - last < TYPING_REFRESH_MS) return;
      this.typingSent.set(relationId, Date.now());
    } else {
      if (last === undefined) return;
      this.typingSent.delete(relationId);
    }
    // A lost indicator only shows or hides "typing…" late: nothing to retry.
    socket.sendTyping(relationId, state).catch(() => undefined);
  }

  /** Replaces the text of one of this account's text messages (`PUT /api/msg/update/edit`). */
  edit(msg: Message, text: string): Promise<unknown> {
    return this.call('PUT', '/api/msg/update/edit', { body: { id: msg.id, msg_content: text } });
  }

  /** Adds or removes this account's reaction (`PUT /api/msg/update/reaction`). */
  react(msg: Message, emoji: string, state: boolean): Promise<unknown> {
    return this.call('PUT', '/api/msg/update/reaction', { body: { id: msg.id, emoji, state } });
  }

  revoke(msg: Message): Promise<unknown> {
    return this.call('PUT', '/api/msg/update/revoke', { body: { id: msg.id } });
  }

  pinMessage(msg: Message, isPin: boolean): Promise<unknown> {
    return this.call('PUT', '/api/msg/update/pin', {
      body: { id: msg.id, relation_id: msg.relation_id, is_pin: isPin },
    });
  }

  topMessage(msg: Message, isTop: boolean): Promise<unknown> {
    return this.call('PUT', '/api/msg/update/top', {
      body: { id: msg.id, relation_id: msg.relation_id, is_top: isTop },
    });
  }

  pinnedMessages(relationId: number): Promise<{ list: Message[] }> {
    return this.call('GET', '/api/msg/list/pin', {
      query: { relation_id: relationId, page_size: 100 },
    });
  }

  search(content: string, relationId?: number): Promise<{ list: Message[]; total: number }> {
    return this.call('GET', '/api/msg/list/content', {
      query: { content, relation_id: relationId, page_size: 50 },
    });
  }

  setConversationPin(relationId: number, isPin: boolean): Promise<unknown> {
    return this.call('PUT', '/api/setting/update/pin', {
      body: { relation_id: relationId, is_pin: isPin },
    });
  }

  setConversationShow(relationId: number, isShow: boolean): Promise<unknown> {
    return this.call('PUT', '/api/setting/update/show', {
      body: { relation_id: relationId, is_show: isShow },
    });
  }

  setDoNotDisturb(relationId: number, on: boolean): Promise<unknown> {
    return this.call('PUT', '/api/setting/update/disturb', {
      body: { relation_id: relationId, is_not_disturb: on },
    });
  }

  setNickName(relationId: number, nickName: string): Promise<unknown> {
    return this.call('PUT', '/api/setting/update/nick_name', {
      body: { relation_id: relationId, nick_name: nickName },
    });
  }

  async deleteFriend(relationId: number): Promise<void> {
    await this.call('DELETE', '/api/setting/friend/delete', { query: { relation_id: relationId } });
    this.dropConversation(relationId);
  }

  // ---------------------------------------------------------------------------------------
  // The account's own settings (docs/api.md §9 presence, docs/push-notifications.md).

  /** Reads both settings afresh (the panel opening); an answer for another account is dropped. */
  async loadSettings(): Promise<void> {
    const accountId = this.store.state.accountId;
    const mine = () => this.store.state.accountId === accountId;
    this.store.set((s) => ({ settings: { ...s.settings, values: null, loading: true } }));
    try {
      const [presence, push] = await Promise.all([
        this.withToken((token) => this.api.setting.presence(token)),
        this.withToken((token) => this.api.push.settings(token)),
      ]);
      if (!mine()) return;
      const values = { presenceHidden: presence.hidden, mentionsBreakDnd: push.mentions_break_dnd };
      this.store.set((s) => ({ settings: { ...s.settings, values } }));
    } finally {
      if (mine()) this.store.set((s) => ({ settings: { ...s.settings, loading: false } }));
    }
  }

  /**
   * Saves one setting: shown as asked while the call runs, then as the server answers; on a
   * failure the switch goes back to the stored value and the error is thrown (for `attempt`).
   */
  async saveSetting(key: keyof AccountSettings, value: boolean): Promise<void> {
    const accountId = this.store.state.accountId;
    const mine = () => this.store.state.accountId === accountId;
    const saving = (fn: (s: Partial<AccountSettings>) => Partial<AccountSettings>) =>
      this.store.set((s) => ({ settings: { ...s.settings, saving: fn(s.settings.saving) } }));
    saving((s) => ({ ...s, [key]: value }));
    try {
      const stored = await this.withToken(async (token) =>
        key === 'presenceHidden'
          ? (await this.api.setting.updatePresence(token, { hidden: value })).hidden
          : (await this.api.push.updateSettings(token, { mentions_break_dnd: value }))
              .mentions_break_dnd,
      );
      if (!mine()) return;
      this.store.set((s) => ({
        settings: {
          ...s.settings,
          values: s.settings.values && { ...s.settings.values, [key]: stored },
        },
      }));
    } finally {
      if (mine())
        saving((s) => {
          const rest = { ...s };
          delete rest[key];
          return rest;
        });
    }
  }

  // ---------------------------------------------------------------------------------------
  // Friends (docs/api.md §8).

  async loadApplications(): Promise<void> {
    const data = await this.call<{ list: ApplicationInfo[] }>('GET', '/api/application/list', {
      query: { page_size: 100 },
    });
    this.store.set({ applications: data.list });
  }

  async findAccounts(name: string): Promise<FoundAccount[]> {
    const data = await this.call<{ list: FoundAccount[] }>('GET', '/api/account/infos/name', {
      query: { name, page_size: 20 },
    });
    return data.list;
  }

  apply(accountId: number, message: string): Promise<unknown> {
    return this.call('POST', '/api/application/create', {
      body: { account_id: accountId, apply_msg: message },
    });
  }

  async accept(accountId: number): Promise<void> {
    await this.call('PUT', '/api/application/accept', { body: { account_id: accountId } });
    await Promise.all([this.loadApplications(), this.loadConversations()]);
  }

  async refuse(accountId: number, message: string): Promise<void> {
    await this.call('PUT', '/api/application/refuse', {
      body: { account_id: accountId, refuse_msg: message },
    });
    await this.loadApplications();
  }

  // ---------------------------------------------------------------------------------------
  // Groups (docs/api.md §10, §13).

  async createGroup(name: string, description: string): Promise<number> {
    const data = await this.call<{ relation_id: number }>('POST', '/api/group/create', {
      body: { name, description },
    });
    await this.loadConversations();
    return data.relation_id;
  }

  members(relationId: number): Promise<GroupMember[]> {
    return this.call('GET', '/api/group/members', { query: { relation_id: relationId } });
  }

  invite(relationId: number, accountIds: number[]): Promise<{ invite_member: number[] }> {
    return this.call('POST', '/api/group/invite', {
      body: { relation_id: relationId, account_id: accountIds },
    });
  }

  async quitGroup(relationId: number): Promise<void> {
    await this.call('POST', '/api/group/quit', { body: { relation_id: relationId } });
    this.dropConversation(relationId);
  }

  async dissolveGroup(relationId: number): Promise<void> {
    await this.call('POST', '/api/group/dissolve', { body: { relation_id: relationId } });
    this.dropConversation(relationId);
  }

  notices(relationId: number): Promise<{ list: Notice[] }> {
    return this.call('GET', '/api/notify/getnotify', { query: { relation_id: relationId } });
  }

  createNotice(relationId: number, content: string): Promise<unknown> {
    return this.call('POST', '/api/notify/create', {
      body: { relation_id: relationId, msg_content: content },
    });
  }
}

interface Saved {
  email: string;
  userToken: string;
  accountId: number;
}

function readSaved(): Saved | null {
  try {
    const saved = JSON.parse(localStorage.getItem(SAVED) ?? 'null') as Saved | null;
    return saved && typeof saved.userToken === 'string' ? saved : null;
  } catch {
    return null;
  }
}

function save(saved: Saved): void {
  localStorage.setItem(SAVED, JSON.stringify(saved));
}
