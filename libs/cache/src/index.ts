export { createCacheAdapters, type CacheAdapters, type CacheConfig } from './create-cache';
export type { Cache } from './cache';
export {
  PRESENCE_BEAT_MAX_MS,
  PRESENCE_REBUILD_MS,
  REDIS_RECONNECT_MAX_MS,
  type HeartbeatOptions,
  type Presence,
  type PresenceEntry,
  type PresenceState,
  type SweptNode,
} from './presence';
export type { ConnectionCounts } from './connection-counts';
export type { MembersLoader, MembershipCache, MembershipCacheOptions } from './membership-cache';
export { LocalMembershipCache, type LocalMembershipCacheOptions } from './local-membership-cache';
export {
  MAX_FAILED_CHECKS,
  type EmailCodeOptions,
  type EmailCodeStore,
  type IssueResult,
} from './email-code-store';
export type { RateDecision, RateLimiter, RateRule, TokenBucketRule } from './rate-limiter';
export type { Clock } from './expiring-map';
export type {
  TokenEpoch,
  TokenEpochCache,
  TokenEpochCacheOptions,
  TokenEpochLoader,
  TokenEpochUpdate,
  TokenSubjectKind,
} from './token-epoch-cache';
export { ENTRY_KEYS, LIMIT_KEYS, CONNECTION_KEYS } from './keys';
