import { useEffect, useState } from 'preact/hooks';
import type { MsgInfoWithRly, SocketState } from '@chat/client';

/** An account of the signed-in user (docs/api.md §3, AccountInfo). */
export interface AccountInfo {
  account_id: number;
  name: string;
  avatar: string;
  gender: string;
}

/** An application (friend request) as the receiver sees it (docs/api.md §3). */
export interface ApplicationInfo {
  account1_id: number;
  account2_id: number;
  apply_msg: string;
  refuse_msg: string;
  status: string;
  create_at: string;
  update_at: string;
  name: string;
  avatar: string;
}

/** One message as the app keeps it: the server's MsgInfoWithRly, `has_read` where known. */
export type Message = MsgInfoWithRly & { has_read?: boolean; pending?: boolean };

/** One conversation of the list: a friendship (the self one included) or a group. */
export interface Conversation {
  relationId: number;
  type: 'friend' | 'group';
  /** The account's remark or group nickname, else the friend's or group's name. */
  title: string;
  /** The friend's or group's own name. */
  name: string;
  avatar: string;
  /** The other account of a friendship; the account itself for its self conversation. */
  friendId?: number;
  description?: string;
  nickName: string;
  isPin: boolean;
  isShow: boolean;
  isNotDisturb: boolean;
  pinTime: string;
  lastShow: string;
  last?: Message;
  unread: number;
  /** The highest message id this device marked read. */
  readUpTo: number;
}

/** The messages of a conversation loaded so far, oldest first, and how to page back. */
export interface History {
  messages: Message[];
  /** The page of `msg/list/time` the oldest loaded messages came from (1: nothing older). */
  firstPage: number;
  pageSize: number;
  loading: boolean;
  /** The top message (`msg/info/top`), if any. */
  top?: Message | null;
}

/** The account's own settings of the Settings panel, as the server keeps them. */
export interface AccountSettings {
  /** Everyone else sees the account offline (`GET`/`PUT /api/setting/presence`, `hidden`). */
  presenceHidden: boolean;
  /**
   * A mention notifies the account's devices even in a conversation set do-not-disturb
   * (`GET`/`PUT /api/push/settings`, `mentions_break_dnd`).
   */
  mentionsBreakDnd: boolean;
}

/** The Settings panel's data: loaded each time it opens, each change saved at once. */
export interface SettingsState {
  /** As the server last answered; null while loading, or when loading failed. */
  values: AccountSettings | null;
  loading: boolean;
  /** The changes being saved (setting → the value asked for), shown until the answer. */
  saving: Partial<AccountSettings>;
}

export const noSettings: SettingsState = { values: null, loading: false, saving: {} };

/** What a switch shows: the value being saved, else the server's. */
export function shownSetting(
  settings: SettingsState,
  key: keyof AccountSettings,
): boolean | undefined {
  return settings.saving[key] ?? settings.values?.[key];
}

export type Screen = 'auth' | 'accounts' | 'chat';
export type Panel = 'chat' | 'friends' | 'groups' | 'settings' | 'search' | 'pins';

export interface State {
  screen: Screen;
  email: string;
  userToken: string;
  accounts: AccountInfo[];
  accountId: number;
  accountName: string;
  connection: SocketState | 'offline';
  conversations: Record<number, Conversation>;
  histories: Record<number, History>;
  openId: number;
  panel: Panel;
  applications: ApplicationInfo[];
  notices: { id: number; text: string; kind: 'info' | 'error' }[];
  devMailbox: boolean;
  /** Who is typing, by conversation (the `typing` pushes, expired after 6 s). */
  typing: Record<number, number[]>;
  /** The account's settings (the Settings panel). */
  settings: SettingsState;
}

export const initialState: State = {
  screen: 'auth',
  email: '',
  userToken: '',
  accounts: [],
  accountId: 0,
  accountName: '',
  connection: 'offline',
  conversations: {},
  histories: {},
  openId: 0,
  panel: 'chat',
  applications: [],
  notices: [],
  devMailbox: false,
  typing: {},
  settings: noSettings,
};

type Listener = () => void;

/** The app's one state: replaced (never mutated) on each change, so views compare by reference. */
export class Store {
  private value: State = initialState;
  private readonly listeners = new Set<Listener>();

  get state(): State {
    return this.value;
  }

  set(change: Partial<State> | ((state: State) => Partial<State>)): void {
    const patch = typeof change === 'function' ? change(this.value) : change;
    this.value = { ...this.value, ...patch };
    for (const listener of [...this.listeners]) listener();
  }

  /** Replaces one conversation by a function of it (nothing when it is not listed). */
  updateConversation(relationId: number, fn: (conv: Conversation) => Partial<Conversation>): void {
    this.set((s) => {
      const conv = s.conversations[relationId];
      if (!conv) return {};
      return { conversations: { ...s.conversations, [relationId]: { ...conv, ...fn(conv) } } };
    });
  }

  updateHistory(relationId: number, fn: (history: History) => Partial<History>): void {
    this.set((s) => {
      const history = s.histories[relationId];
      if (!history) return {};
      return { histories: { ...s.histories, [relationId]: { ...history, ...fn(history) } } };
    });
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Re-renders the calling component whenever the selected part of the state changes. */
export function useSelect<T>(store: Store, select: (state: State) => T): T {
  const [value, setValue] = useState(() => select(store.state));
  useEffect(() => {
    const update = () => setValue(() => select(store.state));
    update();
    return store.subscribe(update);
  }, [store]);
  return value;
}

/** Inserts or replaces messages by id, keeping the list sorted by id (creation order). */
export function mergeMessages(list: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return list;
  const byId = new Map(list.map((m) => [m.id, m]));
  for (const msg of incoming) {
    const known = byId.get(msg.id);
    // A later copy wins, but what this device learnt of reads is kept.
    byId.set(
      msg.id,
      known ? { ...known, ...msg, read_ids: unionIds(known.read_ids, msg.read_ids) } : msg,
    );
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

export function unionIds(a: number[] | null, b: number[] | null): number[] | null {
  if (!a) return b;
  if (!b) return a;
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/**
 * A message after a `msg_reaction` push: the emoji's count as the server gave it, "mine" from
 * who reacted, an emoji whose count fell to 0 removed.
 */
export function applyReaction(
  msg: Message,
  push: { emoji: string; count: number; state: boolean; account_id: number },
  me: number,
): Message {
  const known = msg.reactions.find((r) => r.emoji === push.emoji);
  const mine = push.account_id === me ? push.state : (known?.me ?? false);
  const rest = msg.reactions.filter((r) => r.emoji !== push.emoji);
  if (push.count <= 0) return { ...msg, reactions: rest };
  const next = { emoji: push.emoji, count: push.count, me: mine };
  return {
    ...msg,
    reactions: known
      ? msg.reactions.map((r) => (r.emoji === push.emoji ? next : r))
      : [...rest, next],
  };
}
