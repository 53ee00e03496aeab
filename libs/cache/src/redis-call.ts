import { ReplyError, type Redis } from 'ioredis';
import { InfrastructureError } from '@chat/protocol';

/**
 * Runs one Redis operation and wraps a driver failure once, at the adapter edge (docs/development.md §2),
 * keeping it as `cause`. Connection trouble is retryable; an error reply from the server
 * (a bad script, a wrong type) is not.
 */
export async function redisCall<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new InfrastructureError(`redis: ${what} failed`, err, !(err instanceof ReplyError));
  }
}

export type ScriptRunner = (keys: string[], args: (string | number)[]) => Promise<unknown>;

/**
 * Registers a Lua script on the connection (ioredis sends EVALSHA and falls back to EVAL)
 * and returns a function that runs it. Scripts run atomically on the server.
 */
export function defineScript(
  redis: Redis,
  name: string,
  numberOfKeys: number,
  lua: string,
): ScriptRunner {
  redis.defineCommand(name, { numberOfKeys, lua });
  const command = (redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[
    name
  ];
  return (keys, args) => command.call(redis, ...keys, ...args);
}

/** Like `defineScript`, for a script whose number of keys varies from call to call. */
export function defineVariadicScript(redis: Redis, name: string, lua: string): ScriptRunner {
  redis.defineCommand(name, { lua });
  const command = (redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[
    name
  ];
  return (keys, args) => command.call(redis, keys.length, ...keys, ...args);
}
