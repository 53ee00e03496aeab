/**
 * Every Redis key of the jobs port: BullMQ builds `<prefix>:<queue>:<suffix>` from the
 * prefix returned here, so jobs sit under the deployment's `Redis.KeyPrefix` (default
 * `chat:` → `chat:jobs:email:wait`) beside, and apart from, the cache keys.
 */
export function bullmqPrefix(redisKeyPrefix: string): string {
  return `${redisKeyPrefix}jobs`;
}
