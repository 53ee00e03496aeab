/**
 * Every Redis key this lib writes (docs/development.md §8), under the configured prefix
 * (`Redis.KeyPrefix`). Emails arrive already normalised to lower case.
 */
export function redisKeys(prefix: string) {
  return {
    /** Hash `{ code, failed_attempts }` (docs/data-model.md §4), lives `Rule.CodeMarkDuration`. */
    emailCode: (email: string) => `${prefix}email:code:${email}`,
    /** Send marker, present for `Rule.UserMarkDuration` after a code was issued. */
    emailMark: (email: string) => `${prefix}email:mark:${email}`,
    /** Hash `{ tokens, at }` of one token bucket. */
    rateBucket: (key: string) => `${prefix}rate:bucket:${key}`,
    /** Sorted set of admitted request times (ms) of one window list. */
    rateWindows: (key: string) => `${prefix}rate:windows:${key}`,
    /** JSON text of one generic cache value. */
    cacheValue: (key: string) => `${prefix}cache:${key}`,
    /** Hash `connection id → gateway node id` of one account's online connections. */
    presenceAccount: (accountId: number | '') => `${prefix}presence:account:${accountId}`,
    /** Liveness of a gateway node: present (with a TTL) while the node heart-beats. */
    presenceNode: (nodeId: string) => `${prefix}presence:node:${nodeId}`,
    /**
     * Presence marker, without TTL: (re)created by every gateway heartbeat, so its absence
     * means the store lost its data and no gateway has beaten since.
     */
    presenceMarker: () => `${prefix}presence:marker`,
    /** Present (with a TTL) while the gateways announce their sockets again after a loss. */
    presenceRebuilding: () => `${prefix}presence:rebuilding`,
    /** Set of `<account id>:<connection id>` held by one gateway node. */
    presenceNodeConns: (nodeId: string) => `${prefix}presence:node-conns:${nodeId}`,
    /**
     * Set of the gateway nodes that ever beat and were not swept since: what every heartbeat
     * round checks for a dead node whose entries remain (`Presence.sweepDead`).
     */
    presenceNodes: () => `${prefix}presence:nodes`,
    /** Lock (with a short TTL) of the one gateway sweeping a dead node's entries. */
    presenceSweep: (nodeId: string) => `${prefix}presence:sweep:${nodeId}`,
    /** Set of the gateway nodes that hold connection counts (`ConnectionCounts`). */
    connNodes: () => `${prefix}conns:nodes`,
    /** Liveness of a node's connection counts: present (with a TTL) while the node beats. */
    connAlive: (nodeId: string) => `${prefix}conns:alive:${nodeId}`,
    /** Hash `key → count` of the connections one node holds per limited key. */
    connCounts: (nodeId: string) => `${prefix}conns:node:${nodeId}`,
    /** Set of one relation's member account ids (plus the marker 0), with a TTL. */
    membershipMembers: (relationId: number) => `${prefix}membership:members:${relationId}`,
    /** Invalidation counter of one relation's member set. */
    membershipGeneration: (relationId: number) => `${prefix}membership:gen:${relationId}`,
    /** `<epoch>:<owner>` or `deleted`: the token epoch of one user or account, with a TTL. */
    tokenEpoch: (kind: 'user' | 'account', id: number) => `${prefix}token-epoch:${kind}:${id}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/**
 * The names the roles give their entries in the generic cache (`Cache`): `redisKeys`
 * (`cacheValue`) adds the store's namespace and prefix. One list, so two roles cannot pick
 * the same name for different things (docs/development.md §8).
 */
export const ENTRY_KEYS = {
  /** A `send_msg` claim or ack per account and `client_msg_id` (docs/send-msg.md). */
  sendDedup: (accountId: number, clientMsgId: string) => `send-dedup:${accountId}:${clientMsgId}`,
  /** The epoch that tells the gateways when Redis lost its dedup claims. */
  sendDedupEpoch: 'send-dedup-epoch',
  /** The lock one api holds while it cleans up unused files. */
  fileCleanupLock: 'lock:file-cleanup',
  /** Highest `seq` of a relation announced by a `send_msg` push (notifier). */
  pushedStored: (relationId: number) => `notifier:stored:${relationId}`,
  /** Highest cursor of a reader in a relation announced by `read_msg` pushes (notifier). */
  pushedRead: (relationId: number, readerId: number) => `notifier:read:${relationId}:${readerId}`,
  /** Present once a chat event has been pushed (notifier). */
  pushedEvent: (eventId: string) => `notifier:event:${eventId}`,
  /**
   * When a device of the account last connected or disconnected, epoch ms (gateway,
   * docs/protocol.md §3.5): the `last_seen` of `presence`.
   */
  presenceLastSeen: (accountId: number) => `presence:last-seen:${accountId}`,
  /**
   * Whether the account has a device registered for push notifications (api, notifier,
   * mailer; `DeviceOwners` of `@chat/push`, docs/push-notifications.md).
   */
  pushDevices: (accountId: number) => `push:devices:${accountId}`,
} as const;

/**
 * The names of the rate limiter's buckets and windows (`RateLimiter`). Addresses arrive
 * already reduced to their rate key (an IPv6 address to its /64).
 */
export const LIMIT_KEYS = {
  /** Requests per client address to the api (`Limit.IPLimit`). */
  address: (addressKey: string) => `ip:${addressKey}`,
  /** Verification mails per address (`Limit.APILimit.Email`). */
  email: (key: string) => `email:${key}`,
  /** Uploads per caller (`Limit.APILimit.Upload`). */
  upload: (key: string) => `upload:${key}`,
  /** Messages per account (`Gateway.SendRate`). */
  send: (accountId: number) => `send:account:${accountId}`,
  /** Failed logins per email and per client address. */
  loginFailEmail: (email: string) => `login-fail:email:${email}`,
  loginFailAddress: (addressKey: string) => `login-fail:addr:${addressKey}`,
} as const;

/** What the gateways count connections by (`ConnectionCounts`, docs/limits.md). */
export const CONNECTION_KEYS = {
  account: (accountId: number) => `account:${accountId}`,
  address: (addressKey: string) => `address:${addressKey}`,
} as const;
