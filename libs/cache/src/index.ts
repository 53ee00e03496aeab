export { createCacheAdapters, type CacheAdapters, type CacheConfig } from './create-cache';
export type { Cache } from './cache';
export type { Presence, PresenceEntry } from './presence';
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
