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
