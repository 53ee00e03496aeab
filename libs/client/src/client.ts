import type { PushEventName } from '@chat/protocol';
import { ChatApi } from './api';
import type { BackoffOptions } from './backoff';
import { ChatError } from './errors';
import { ChatSocket, type SocketState, type WebSocketConstructor } from './socket';
import type {
  MsgInfoWithRly,
  PushEvents,
  SendMessageAck,
  SendMessageInput,
  SyncedRelation,
  Token,
} from './types';

/** Every push name (docs/protocol.md §4); a push added to the protocol fails to compile here. */
const PUSH_NAMES = [
  'send_msg',
  'read_msg',
  'account_login',
  'account_logout',
  'update_account',
  'application',
  'delete_relation',
  'update_nickname',
  'update_setting_state',
  'update_email',
  'update_msg_state',
  'group_transferred',
  'group_dissolved',
  'group_new_account',
  'group_quit_account',
  'create_notify',
  'update_notify',
  'error',
  'typing',
  'presence',
  'edit_msg',
  'msg_reaction',
  'group_member_muted',
] as const satisfies readonly PushEventName[];
type Assert<T extends true> = T;
export type _AllPushesHandled = Assert<
  [Exclude<PushEventName, (typeof PUSH_NAMES)[number]>] extends [never] ? true : false
>;

/** Most conversations one `POST /api/msg/sync` may name (docs/api.md §11). */
const SYNC_MAX_RELATIONS = 100;
/** Largest `after_seq`: asks for no message, only the conversation's `last_seq`. */
const LATEST = Number.MAX_SAFE_INTEGER;
/** How long a sent message is looked for by sync before the client stops (ms, in all). */
const OWN_MESSAGE_WAITS = [20, 50, 100, 200, 400, 800, 1600, 3200];
/** Token refusals after which no renewed token can come (docs/api.md §1.4). */
const SESSION_ENDED = [2001, 2007, 2008, 2010, 2013];
/** How many delivered message ids each conversation remembers. */
const RECENT_IDS = 1000;
/** Waits (ms) before retrying a REST call the per-address rate limit refused (1004). */
const BUSY_WAITS = [300, 600, 900, 1200, 1500, 1800];

/**
 * Where a conversation's messages start for a client that has no cursor of its own for it:
 * `latest` — only what arrives from now on (history is read with `api.msg.listByTime`);
 * `all` — every stored message, oldest first.
 */
export type HistoryStart = 'latest' | 'all';

export interface ChatClientOptions {
  /** The server's base URL, e.g. `http://localhost:8080`. */
  baseUrl: string;
  /** The WebSocket URL; by default the base URL with `ws:`/`wss:` and the path `/ws`. */
  wsUrl?: string;
  /** Defaults to the global `WebSocket`; Node 20 has none, pass `ws`'s. */
  WebSocket?: WebSocketConstructor;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  backoff?: BackoffOptions;
  requestTimeoutMs?: number;
  /** Random numbers in [0, 1) for the reconnection jitter. */
  random?: () => number;
  /** Makes client message ids; `crypto.randomUUID` by default. */
  newClientMsgId?: () => string;
  /** An account token is renewed when it expires within this margin. Default 60 s. */
  refreshMarginMs?: number;
  /** Most messages per conversation and sync call (1–500). Default 200. */
  syncLimit?: number;
  /** Default `latest`. */
  historyStart?: HistoryStart;
  /** Current time in ms; `Date.now` by default. */
  now?: () => number;
}

/** Where a client stands in one conversation; save it to resume later (`switchAccount`). */
export interface ConversationCursor {
  relation_id: number;
  /** The highest sequence number delivered: every message up to it was emitted, in order. */
  last_seq: number;
  /** This account's read cursor (docs/protocol.md §3.3): messages up to it are read. */
  last_read_msg_id: number;
  /**
   * The conversation's change counter at the last sync (`last_change` of `POST /api/msg/sync`):
   * the next catch-up asks for the messages up to `last_seq` changed since. A cursor saved
   * without it (an older SDK) resumes from 0: every change of those messages comes once.
   */
  last_change?: number;
}

/** A conversation as the client knows it. */
export interface ConversationState extends ConversationCursor {
  /** Messages from others after the read cursor, among those this client received. */
  unread: number;
  /** Other members' read cursors, from `read_msg` pushes: reader id → last read message id. */
  read_by: ReadonlyMap<number, number>;
}

export interface SwitchAccountOptions {
  /** Cursors saved earlier (`cursors()`): each conversation resumes after its `last_seq`. */
  cursors?: ConversationCursor[];
  /** For conversations without a cursor; the client's `historyStart` by default. */
  historyStart?: HistoryStart;
}

/** A message delivered in order, with where it stands. */
export type MessageHandler = (message: MsgInfoWithRly, conversation: ConversationState) => void;

/** Read state changed: this account's cursor or another member's. */
export type ReadHandler = (conversation: ConversationState) => void;

/**
 * A message that was delivered already changed: edited, reacted to, revoked, pinned or made
 * the top message. Live, the push says what changed (`edit_msg`, `msg_reaction`,
 * `update_msg_state`: docs/protocol.md §4); after a (re)connection, changes made while the
 * client was away come from `POST /api/msg/sync` as the whole message in its current state
 * (`source: 'sync'`). A change may be heard twice (pushed, then synced): both are idempotent.
 */
export type MessageChange =
  | { source: 'sync'; relation_id: number; msg_id: number; message: MsgInfoWithRly }
  | { source: 'edit_msg'; relation_id: number; msg_id: number; push: PushEvents['edit_msg'] }
  | {
      source: 'msg_reaction';
      relation_id: number;
      msg_id: number;
      push: PushEvents['msg_reaction'];
    }
  | {
      source: 'update_msg_state';
      relation_id: number;
      msg_id: number;
      push: PushEvents['update_msg_state'];
    };

export type MessageChangeHandler = (change: MessageChange, conversation: ConversationState) => void;

interface Conversation {
  relationId: number;
  lastSeq: number;
  /** The `last_change` of the last sync; the next one's `after_change`. */
  lastChange: number;
  lastRead: number;
  /** Ids of others' messages after `lastRead`, ascending. */
  unreadIds: number[];
  readBy: Map<number, number>;
  /** Pushed messages after a gap, by seq, until sync fills it. */
  ahead: Map<number, MsgInfoWithRly>;
  /** Own messages acked but not yet delivered by sync, with how often they were looked for. */
  ownPending: Map<number, number>;
  /** The newest message id delivered (the default of `markRead`). */
  newestId: number;
  /** Ids of recently delivered messages (the last RECENT_IDS). */
  recentIds: Set<number>;
}

interface AccountSession {
  accountId: number;
  socket: ChatSocket;
  conversations: Map<number, Conversation>;
  historyStart: HistoryStart;
  unsubscribe: (() => void)[];
  /** Conversations to sync; the loop runs while there are any. */
  dirty: Set<number>;
  syncing: Promise<void> | null;
  ownTimer: ReturnType<typeof setTimeout> | null;
  closed: boolean;
  /** Whether the socket was given a token, and authenticated since. */
  tokenGiven: boolean;
  openSinceToken: boolean;
}

type Listener<T extends unknown[]> = (...args: T) => void;

/**
 * A signed-in session over `ChatApi` and `ChatSocket`: holds the user token and an account
 * token per account (renewed before it expires), connects the socket of the chosen account,
 * and delivers every message of that account's conversations exactly once and in sequence
 * order, pushed or caught up with `POST /api/msg/sync` after each (re)connection and after
 * any gap. Tracks read cursors and unread counts. Browser-safe: no Node imports.
 */
export class ChatClient {
  readonly api: ChatApi;
  private readonly options: ChatClientOptions;
  private readonly now: () => number;
  private userToken: Token | null = null;
  private readonly accountTokens = new Map<number, Token>();
  private readonly tokenRequests = new Map<number, Promise<Token>>();
  private session: AccountSession | null = null;
  private readonly messageHandlers = new Set<MessageHandler>();
  private readonly readHandlers = new Set<ReadHandler>();
  private readonly changeHandlers = new Set<MessageChangeHandler>();
  private readonly stateHandlers = new Set<Listener<[SocketState]>>();
  private readonly errorHandlers = new Set<Listener<[unknown]>>();
  private readonly pushHandlers = new Map<string, Set<(data: never) => void>>();
  /** Cursors of accounts switched away from, to resume when switching back. */
  private readonly savedCursors = new Map<number, ConversationCursor[]>();

  constructor(options: ChatClientOptions) {
    this.options = options;
    this.now = options.now ?? (() => Date.now());
    this.api = new ChatApi({ baseUrl: options.baseUrl, fetch: options.fetch });
  }

  // ——— tokens ———

  /** `POST /api/user/login`; keeps the user token. */
  async login(email: string, password: string) {
    const reply = await this.api.user.login({ email, password });
    this.setUserToken(reply.user_token);
    return reply;
  }

  /** Uses a user token obtained elsewhere (`POST /api/user/register`, storage). */
  setUserToken(token: Token): void {
    this.userToken = token;
  }

  /** Uses an account token obtained elsewhere; renewed with the user token when there is one. */
  setAccountToken(accountId: number, token: Token): void {
    this.accountTokens.set(accountId, token);
  }

  /** The user token; rejects without one. */
  userTokenValue(): string {
    if (!this.userToken) throw new ChatError(2007, 'no user token: log in first', 'closed');
    return this.userToken.token;
  }

  /** `POST /api/account/create`; keeps the new account's token. */
  async createAccount(input: Parameters<ChatApi['account']['create']>[1]) {
    const reply = await this.api.account.create(this.userTokenValue(), input);
    this.accountTokens.set(reply.id, reply.account_token);
    return reply;
  }

  /** `GET /api/account/infos/user`: the accounts of the signed-in user. */
  accounts() {
    return this.api.account.listOfUser(this.userTokenValue());
  }

  /**
   * A valid token of the account (the current one by default): the one held, or a new one
   * from `GET /api/account/token` when it expires within `refreshMarginMs` (or at once with
   * `renew`, when the server refused the one held).
   */
  async accountToken(accountId = this.currentAccountId(), renew = false): Promise<string> {
    const held = this.accountTokens.get(accountId);
    const margin = this.options.refreshMarginMs ?? 60_000;
    if (held && !renew && Date.parse(held.expired_at) - margin > this.now()) return held.token;
    if (!this.userToken) {
      if (held) return held.token; // nothing to renew it with: let the server judge it
      throw new ChatError(2007, `no token for account ${accountId}`, 'closed');
    }
    let request = this.tokenRequests.get(accountId);
    if (!request) {
      const userToken = this.userToken.token;
      request = whenNotBusy(() => this.api.account.token(userToken, { account_id: accountId }))
        .then((reply) => reply.account_token)
        .finally(() => this.tokenRequests.delete(accountId));
      this.tokenRequests.set(accountId, request);
    }
    const token = await request;
    this.accountTokens.set(accountId, token);
    return token.token;
  }

  // ——— the active account ———

  /** The account whose socket is connected (or connecting). */
  get accountId(): number | null {
    return this.session?.accountId ?? null;
  }

  /** The active account's socket, for requests the client does not wrap. */
  get socket(): ChatSocket | null {
    return this.session?.socket ?? null;
  }

  private currentAccountId(): number {
    if (!this.session)
      throw new ChatError(2007, 'no account chosen: switchAccount first', 'closed');
    return this.session.accountId;
  }

  /**
   * Makes `accountId` the active account: closes the previous account's socket (its unacked
   * sends reject with reason `closed`), lists the account's conversations, connects its
   * socket, and resolves once the first catch-up is done. Conversations resume from `cursors`,
   * else from where this client left them (switching back), else per `historyStart`.
   */
  async switchAccount(accountId: number, options: SwitchAccountOptions = {}): Promise<void> {
    this.stopSession();
    await this.accountToken(accountId);
    // The token function runs at each connection, once `session` below exists.
    const socket = new ChatSocket({
      url: this.wsUrl(),
      token: () => this.socketToken(session),
      WebSocket: this.options.WebSocket,
      backoff: this.options.backoff,
      requestTimeoutMs: this.options.requestTimeoutMs,
      random: this.options.random,
      newClientMsgId: this.options.newClientMsgId,
    });
    const session: AccountSession = {
      accountId,
      socket,
      conversations: new Map(),
      historyStart: options.historyStart ?? this.options.historyStart ?? 'latest',
      unsubscribe: [],
      dirty: new Set(),
      syncing: null,
      ownTimer: null,
      closed: false,
      tokenGiven: false,
      openSinceToken: false,
    };
    this.session = session;
    for (const cursor of options.cursors ?? this.savedCursors.get(accountId) ?? []) {
      session.conversations.set(cursor.relation_id, newConversation(cursor));
    }
    this.subscribe(session);
    try {
      await this.discover(session);
      await socket.connect();
      // The first 'open' started a catch-up; wait for it (and anything it found).
      await this.settle(session);
    } catch (err) {
      if (this.session === session) this.stopSession();
      throw err;
    }
  }

  /** Closes the socket; the tokens stay. */
  close(): void {
    this.stopSession();
  }

  /** Where the active account stands in each conversation, to save and resume from. */
  cursors(): ConversationCursor[] {
    return [...(this.session?.conversations.values() ?? [])].map(cursorOf);
  }

  /** The active account's conversations as the client knows them. */
  conversations(): ConversationState[] {
    return [...(this.session?.conversations.values() ?? [])].map(stateOf);
  }

  conversation(relationId: number): ConversationState | undefined {
    const c = this.session?.conversations.get(relationId);
    return c && stateOf(c);
  }

  /** Resolves when no catch-up is running (one that failed is retried later). */
  async settle(session = this.session): Promise<void> {
    while (session?.syncing) await session.syncing;
  }

  // ——— messages ———

  /**
   * Sends a text message (`send_msg`), resent under the same `client_msg_id` until acked
   * (ChatSocket). The message is then delivered to `onMessage` too, with its `seq`, once sync
   * finds it: the server does not push it to the connection it came from.
   */
  async send(input: SendMessageInput): Promise<SendMessageAck> {
    const session = this.requireSession();
    const ack = await session.socket.sendMessage(input);
    if (session.closed) return ack;
    const conversation = this.track(session, input.relation_id);
    if (!conversation.ownPending.has(ack.msg_id) && !this.delivered(conversation, ack.msg_id)) {
      conversation.ownPending.set(ack.msg_id, 0);
      this.markDirty(session, input.relation_id);
    }
    return ack;
  }

  /**
   * Marks a conversation read up to `msgId` (its newest delivered message by default) with
   * `read_msg` (docs/protocol.md §3.3); resolves with the cursor the server holds.
   */
  async markRead(relationId: number, msgId?: number): Promise<number> {
    const session = this.requireSession();
    const conversation = this.track(session, relationId);
    const upTo = msgId ?? conversation.newestId;
    if (!upTo) return conversation.lastRead;
    const reply = await session.socket.readMessages(relationId, [upTo]);
    if (!session.closed) this.moveReadCursor(conversation, reply.last_read_msg_id);
    return reply.last_read_msg_id;
  }

  /** Unread messages of one conversation, or of all. */
  unreadCount(relationId?: number): number {
    const all = [...(this.session?.conversations.values() ?? [])];
    return all
      .filter((c) => relationId === undefined || c.relationId === relationId)
      .reduce((sum, c) => sum + c.unreadIds.length, 0);
  }

  // ——— subscriptions (kept across account switches) ———

  /** Every message of the active account's conversations, once each, in `seq` order. */
  onMessage(handler: MessageHandler): () => void {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  /**
   * Changes to messages already delivered (`MessageChange`): pushed live, and after each
   * (re)connection those made while away, from the catch-up sync, in the order they were made.
   */
  onMessageChanged(handler: MessageChangeHandler): () => void {
    this.changeHandlers.add(handler);
    return () => this.changeHandlers.delete(handler);
  }

  /** Read cursors: this account's (any of its devices) and other members'. */
  onRead(handler: ReadHandler): () => void {
    this.readHandlers.add(handler);
    return () => this.readHandlers.delete(handler);
  }

  /** The active account's socket state. */
  onState(handler: (state: SocketState) => void): () => void {
    this.stateHandlers.add(handler);
    return () => this.stateHandlers.delete(handler);
  }

  /** Failures of background work (a catch-up that failed and will be retried). */
  onError(handler: (err: unknown) => void): () => void {
    this.errorHandlers.add(handler);
    return () => this.errorHandlers.delete(handler);
  }

  /** A raw push of the active account (docs/protocol.md §4), typed by event. */
  on<E extends keyof PushEvents>(event: E, handler: (data: PushEvents[E]) => void): () => void {
    let set = this.pushHandlers.get(event);
    if (!set) this.pushHandlers.set(event, (set = new Set()));
    set.add(handler as (data: never) => void);
    return () => set.delete(handler as (data: never) => void);
  }

  // ——— internals ———

  /**
   * The token for each connection of the session's socket. A connection that did not
   * authenticate with the last one (refused: expired, revoked) gets a renewed one; when the
   * user token cannot renew it either (its session ended: docs/sessions.md), the account's
   * session stops and `onError` hears why.
   */
  private async socketToken(session: AccountSession): Promise<string> {
    const renew = session.tokenGiven && !session.openSinceToken;
    session.tokenGiven = true;
    session.openSinceToken = false;
    try {
      return await this.accountToken(session.accountId, renew);
    } catch (err) {
      if (err instanceof ChatError && err.reason === 'reply' && SESSION_ENDED.includes(err.code)) {
        setTimeout(() => {
          if (this.session !== session) return;
          this.stopSession();
          this.emit(this.errorHandlers, err);
        });
      }
      throw err;
    }
  }

  private requireSession(): AccountSession {
    if (!this.session)
      throw new ChatError(2007, 'no account chosen: switchAccount first', 'closed');
    return this.session;
  }

  private wsUrl(): string {
    if (this.options.wsUrl) return this.options.wsUrl;
    const url = new URL(this.options.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.pathname = '/ws';
    url.search = '';
    return url.toString();
  }

  private stopSession(): void {
    const session = this.session;
    if (!session) return;
    this.session = null;
    session.closed = true;
    this.savedCursors.set(session.accountId, [...session.conversations.values()].map(cursorOf));
    if (session.ownTimer) clearTimeout(session.ownTimer);
    for (const off of session.unsubscribe) off();
    session.socket.close();
  }

  private subscribe(session: AccountSession): void {
    const { socket } = session;
    const live = () => this.session === session && !session.closed;
    session.unsubscribe.push(
      socket.onState((state) => {
        if (!live()) return;
        // After every (re)connection: everything pushed while away comes by sync.
        if (state === 'open') {
          session.openSinceToken = true;
          for (const id of session.conversations.keys()) session.dirty.add(id);
          this.startSync(session);
        }
        this.emit(this.stateHandlers, state);
      }),
    );
    for (const event of PUSH_NAMES) {
      session.unsubscribe.push(
        socket.on(event, (data) => {
          if (!live()) return;
          this.handlePush(session, event, data);
          for (const handler of [...(this.pushHandlers.get(event) ?? [])]) {
            this.guard(() => (handler as (data: unknown) => void)(data));
          }
        }),
      );
    }
  }

  private handlePush(session: AccountSession, event: PushEventName, data: unknown): void {
    const self = session.accountId;
    switch (event) {
      case 'send_msg': {
        const msg = (data as PushEvents['send_msg']).msg_info;
        const conversation = this.track(session, msg.relation_id);
        this.accept(session, conversation, msg);
        return;
      }
      case 'read_msg': {
        const read = data as PushEvents['read_msg'];
        const conversation = session.conversations.get(read.relation_id);
        if (!conversation) return;
        if (read.reader_id === self) this.moveReadCursor(conversation, read.last_read_msg_id);
        else {
          const before = conversation.readBy.get(read.reader_id) ?? 0;
          if (read.last_read_msg_id <= before) return;
          conversation.readBy.set(read.reader_id, read.last_read_msg_id);
          this.emitRead(conversation);
        }
        return;
      }
      case 'delete_relation':
      case 'group_dissolved':
        this.untrack(session, (data as PushEvents['delete_relation']).relation_id);
        return;
      case 'group_quit_account': {
        const quit = data as PushEvents['group_quit_account'];
        if (quit.account_id === self) this.untrack(session, quit.relation_id);
        return;
      }
      case 'edit_msg':
      case 'msg_reaction':
      case 'update_msg_state': {
        const push = data as PushEvents['edit_msg'];
        const conversation = session.conversations.get(push.relation_id);
        if (!conversation) return;
        // A message held ahead of a gap is stale now: the sync that fills the gap fetches it.
        for (const [seq, held] of conversation.ahead)
          if (held.id === push.msg_id) conversation.ahead.delete(seq);
        const change = {
          source: event,
          relation_id: push.relation_id,
          msg_id: push.msg_id,
          push: data,
        } as MessageChange;
        this.emitChange(conversation, change);
        return;
      }
      case 'group_new_account': {
        const added = data as PushEvents['group_new_account'];
        if (added.account_id === self && !session.conversations.has(added.relation_id)) {
          this.track(session, added.relation_id);
          this.markDirty(session, added.relation_id);
        }
        return;
      }
      default:
        return;
    }
  }

  /** Lists the account's conversations (friends, self included, and groups) and tracks them. */
  private async discover(session: AccountSession): Promise<void> {
    const token = await this.accountToken(session.accountId);
    const [friends, groups] = await Promise.all([
      whenNotBusy(() => this.api.setting.friendList(token)),
      whenNotBusy(() => this.api.group.list(token)),
    ]);
    if (session.closed) return;
    const ids = [...friends.list, ...groups.list].map((s) => s.relation_id);
    const fresh = ids.filter((id) => !session.conversations.has(id));
    // Conversations no longer listed were left while away: syncing them would answer 2009.
    for (const id of [...session.conversations.keys()])
      if (!ids.includes(id)) this.untrack(session, id);
    if (session.historyStart === 'latest' && fresh.length > 0) {
      // `after_seq` past any message asks only for each conversation's newest seq.
      for (const chunk of chunks(fresh, SYNC_MAX_RELATIONS)) {
        const reply = await whenNotBusy(() =>
          this.api.msg.sync(token, {
            relations: chunk.map((relation_id) => ({ relation_id, after_seq: LATEST })),
            limit: 1,
          }),
        );
        if (session.closed) return;
        for (const r of reply.list) {
          if (!session.conversations.has(r.relation_id)) {
            session.conversations.set(
              r.relation_id,
              newConversation({
                relation_id: r.relation_id,
                last_seq: r.last_seq,
                last_change: r.last_change ?? 0,
                last_read_msg_id: 0,
              }),
            );
          }
        }
      }
    }
    for (const id of fresh) this.track(session, id);
  }

  /**
   * The conversation, tracked from now on if it was not. One that appears while connected (a
   * new friendship's first message, an invitation to a group) is delivered from its first
   * message: sync fills what came before the push that revealed it.
   */
  private track(session: AccountSession, relationId: number): Conversation {
    let conversation = session.conversations.get(relationId);
    if (!conversation) {
      conversation = newConversation({
        relation_id: relationId,
        last_seq: 0,
        last_change: 0,
        last_read_msg_id: 0,
      });
      session.conversations.set(relationId, conversation);
    }
    return conversation;
  }

  private untrack(session: AccountSession, relationId: number): void {
    session.conversations.delete(relationId);
    session.dirty.delete(relationId);
  }

  /**
   * One message, pushed or synced: delivered if it is the next in sequence, dropped if it was
   * delivered already, held if it is ahead of a gap (which a sync then fills).
   */
  private accept(session: AccountSession, conversation: Conversation, msg: MsgInfoWithRly): void {
    if (msg.seq <= conversation.lastSeq) return;
    if (msg.seq > conversation.lastSeq + 1) {
      conversation.ahead.set(msg.seq, msg);
      this.markDirty(session, conversation.relationId);
      return;
    }
    this.deliver(session, conversation, msg);
    for (;;) {
      const next = conversation.ahead.get(conversation.lastSeq + 1);
      if (!next) break;
      this.deliver(session, conversation, next);
    }
    for (const seq of conversation.ahead.keys())
      if (seq <= conversation.lastSeq) conversation.ahead.delete(seq);
  }

  private deliver(session: AccountSession, conversation: Conversation, msg: MsgInfoWithRly): void {
    conversation.ahead.delete(msg.seq);
    conversation.lastSeq = msg.seq;
    conversation.newestId = Math.max(conversation.newestId, msg.id);
    conversation.ownPending.delete(msg.id);
    conversation.recentIds.add(msg.id);
    if (conversation.recentIds.size > RECENT_IDS) {
      conversation.recentIds.delete(conversation.recentIds.values().next().value as number);
    }
    if (msg.account_id !== session.accountId && msg.id > conversation.lastRead) {
      conversation.unreadIds.push(msg.id);
    }
    const state = stateOf(conversation);
    for (const handler of [...this.messageHandlers]) this.guard(() => handler(msg, state));
  }

  private delivered(conversation: Conversation, msgId: number): boolean {
    return conversation.recentIds.has(msgId);
  }

  private moveReadCursor(conversation: Conversation, lastRead: number): void {
    if (lastRead <= conversation.lastRead) return;
    conversation.lastRead = lastRead;
    conversation.unreadIds = conversation.unreadIds.filter((id) => id > lastRead);
    this.emitRead(conversation);
  }

  private emitChange(conversation: Conversation, change: MessageChange): void {
    const state = stateOf(conversation);
    for (const handler of [...this.changeHandlers]) this.guard(() => handler(change, state));
  }

  private emitRead(conversation: Conversation): void {
    const state = stateOf(conversation);
    for (const handler of [...this.readHandlers]) this.guard(() => handler(state));
  }

  private markDirty(session: AccountSession, relationId: number): void {
    session.dirty.add(relationId);
    // Only while connected: the next 'open' syncs every conversation anyway.
    if (session.socket.state === 'open') this.startSync(session);
  }

  private startSync(session: AccountSession): void {
    if (session.syncing || session.closed) return;
    session.syncing = this.syncLoop(session).then((completed) => {
      session.syncing = null;
      // Marked while the last call was on its way: go again (after a failure, the next
      // connection or gap does).
      if (completed && session.dirty.size > 0 && session.socket.state === 'open') {
        this.startSync(session);
      }
    });
  }

  /**
   * Syncs the dirty conversations until none is left, then looks for own messages due.
   * False when it gave up after failures (the conversations stay dirty).
   */
  private async syncLoop(session: AccountSession): Promise<boolean> {
    let failures = 0;
    while (!session.closed && session.dirty.size > 0) {
      const relations = [...session.dirty].filter((id) => session.conversations.has(id));
      session.dirty.clear();
      try {
        for (const chunk of chunks(relations, SYNC_MAX_RELATIONS)) {
          const token = await this.accountToken(session.accountId);
          const reply = await whenNotBusy(() =>
            this.api.msg.sync(token, {
              relations: chunk.map((id) => {
                const conversation = session.conversations.get(id);
                return {
                  relation_id: id,
                  after_seq: conversation?.lastSeq ?? 0,
                  after_change: conversation?.lastChange ?? 0,
                };
              }),
              limit: this.options.syncLimit ?? 200,
            }),
          );
          if (session.closed) return false;
          for (const synced of reply.list) this.applySync(session, synced);
        }
        failures = 0;
      } catch (err) {
        if (session.closed) return false;
        for (const id of relations) session.dirty.add(id);
        this.emit(this.errorHandlers, err);
        // The next (re)connection retries; while connected, retry after a pause.
        if (++failures >= 3 || session.socket.state !== 'open') return false;
        if (err instanceof ChatError && err.reason === 'reply' && err.code === 2009) {
          // A conversation was left meanwhile: list them again, then retry.
          await this.discover(session).catch((e) => this.emit(this.errorHandlers, e));
          continue;
        }
        await delay(200 * failures);
      }
    }
    this.scheduleOwnLookups(session);
    return !session.closed;
  }

  private applySync(session: AccountSession, synced: SyncedRelation): void {
    const conversation = session.conversations.get(synced.relation_id);
    if (!conversation) return;
    // Changes first: they are of messages up to the `after_seq` asked with, delivered already
    // (one above `lastSeq` would be news to deliver below, whole: there is nothing to change).
    for (const msg of synced.changed ?? []) {
      if (msg.seq > conversation.lastSeq) continue;
      this.emitChange(conversation, {
        source: 'sync',
        relation_id: msg.relation_id,
        msg_id: msg.id,
        message: msg,
      });
    }
    // An older server answers without a change counter: keep asking from where we were.
    if (synced.last_change !== undefined && synced.last_change > conversation.lastChange) {
      conversation.lastChange = synced.last_change;
    }
    for (const msg of synced.messages) this.accept(session, conversation, msg);
    // More to fetch, or stored meanwhile (or a gap the push buffer still shows): again.
    if (synced.has_more || conversation.lastSeq < synced.last_seq || conversation.ahead.size > 0) {
      session.dirty.add(synced.relation_id);
    }
  }

  /**
   * An acked message reaches the database a moment after its ack (docs/protocol.md §3.2):
   * conversations with own messages not yet synced are looked at again, with growing waits.
   */
  private scheduleOwnLookups(session: AccountSession): void {
    if (session.ownTimer || session.closed) return;
    let attempt = Infinity;
    for (const conversation of session.conversations.values()) {
      for (const [msgId, tries] of conversation.ownPending) {
        if (tries >= OWN_MESSAGE_WAITS.length) conversation.ownPending.delete(msgId);
        else attempt = Math.min(attempt, tries);
      }
    }
    if (attempt === Infinity) return;
    session.ownTimer = setTimeout(() => {
      session.ownTimer = null;
      for (const conversation of session.conversations.values()) {
        if (conversation.ownPending.size === 0) continue;
        for (const [msgId, tries] of conversation.ownPending)
          conversation.ownPending.set(msgId, tries + 1);
        session.dirty.add(conversation.relationId);
      }
      if (session.socket.state === 'open') this.startSync(session);
    }, OWN_MESSAGE_WAITS[attempt]);
  }

  private emit<T extends unknown[]>(handlers: Set<Listener<T>>, ...args: T): void {
    for (const handler of [...handlers]) this.guard(() => handler(...args));
  }

  /** A subscriber's exception must not stop delivery to the others. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (this.errorHandlers.size === 0)
        setTimeout(() => {
          throw err;
        });
      else for (const handler of [...this.errorHandlers]) handler(err);
    }
  }
}

function newConversation(cursor: ConversationCursor): Conversation {
  return {
    relationId: cursor.relation_id,
    lastSeq: cursor.last_seq,
    lastChange: cursor.last_change ?? 0,
    lastRead: cursor.last_read_msg_id,
    unreadIds: [],
    readBy: new Map(),
    ahead: new Map(),
    ownPending: new Map(),
    newestId: 0,
    recentIds: new Set(),
  };
}

function cursorOf(c: Conversation): ConversationCursor {
  return {
    relation_id: c.relationId,
    last_seq: c.lastSeq,
    last_change: c.lastChange,
    last_read_msg_id: c.lastRead,
  };
}

function stateOf(c: Conversation): ConversationState {
  return { ...cursorOf(c), unread: c.unreadIds.length, read_by: new Map(c.readBy) };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * A REST call of the client's own (token, lists, sync), tried again while the per-address
 * rate limit refuses it (1004, docs/limits.md): several tabs or apps behind one address start
 * with a burst of calls.
 */
async function whenNotBusy<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const busy = err instanceof ChatError && err.reason === 'reply' && err.code === 1004;
      if (!busy || attempt >= BUSY_WAITS.length) throw err;
      await delay(err.retryAfterMs ?? BUSY_WAITS[attempt]!);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
