/** Server push event names of docs/protocol.md §4. */
export const PUSH_EVENTS = {
  sendMsg: 'send_msg',
  readMsg: 'read_msg',
  accountLogin: 'account_login',
  accountLogout: 'account_logout',
  updateAccount: 'update_account',
  application: 'application',
  deleteRelation: 'delete_relation',
  updateNickname: 'update_nickname',
  updateSettingState: 'update_setting_state',
  updateEmail: 'update_email',
  updateMsgState: 'update_msg_state',
  groupTransferred: 'group_transferred',
  groupDissolved: 'group_dissolved',
  groupNewAccount: 'group_new_account',
  groupQuitAccount: 'group_quit_account',
  createNotify: 'create_notify',
  updateNotify: 'update_notify',
  error: 'error',
  typing: 'typing',
  presence: 'presence',
  editMsg: 'edit_msg',
  msgReaction: 'msg_reaction',
} as const;

export type PushEventName = (typeof PUSH_EVENTS)[keyof typeof PUSH_EVENTS];

/** WebSocket close codes of docs/protocol.md §2.4. */
export const CLOSE_CODES = {
  /** Not authenticated in time, failed at upgrade, token expired or its session ended. */
  notAuthenticated: 4401,
  /** The account was deleted. */
  accountGone: 4403,
  /** The client stopped reading and its send buffer passed `Gateway.MaxBufferedBytes`. */
  sendBufferFull: 4408,
  /** The account holds `Gateway.MaxConnectionsPerAccount` sockets already. */
  tooManyConnections: 4429,
  frameTooLarge: 1009,
  /** The token given at upgrade could not be checked (a dependency failed). */
  authUnavailable: 1011,
  goingAway: 1001,
} as const;

/** A push: `event`/`data` to every online connection of the accounts in `to`. */
export interface Push {
  event: PushEventName;
  data: unknown;
  to: number[];
}

/**
 * A record on `chat.events`: a domain change committed by the api, with the push it causes
 * (docs/protocol.md §4, "→ receivers") and its effects on other roles: gateways drop cached
 * memberships and close the sockets of deleted accounts.
 */
export interface ChatEvent {
  /** Unique per event (UUID), so consumers can ignore a redelivered record. */
  id: string;
  /** Commit time, RFC 3339 with milliseconds. */
  at: string;
  push?: Push;
  effects?: {
    /** Memberships of these relations changed: cached member lists are stale. */
    membershipChanged?: number[];
    /** These accounts were deleted: close their sockets with 4403. */
    accountsDeleted?: number[];
    /**
     * The sessions of these accounts ended (password or email change, logout): sockets
     * authenticated with a token of an earlier epoch are closed with 4401. The gateways
     * write the event's `push` to them first; the notifier pushes it to its other receivers.
     */
    tokensRevoked?: { accountId: number; epoch: number }[];
  };
}
