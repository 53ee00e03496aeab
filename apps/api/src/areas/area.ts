import type { Express } from 'express';
import type { TokenService } from '@chat/auth';
import type { CacheAdapters } from '@chat/cache';
import type { Database } from '@chat/db';
import type { IdGenerator, MailQueue, SessionService, UnitOfWork } from '@chat/domain';
import type { Logger } from '@chat/logger';
import type { InputLimits } from '@chat/protocol';
import type { Closable } from '@chat/runtime';
import type { BlobStore } from '@chat/storage';
import type { AnyRoute } from '../http/route';
import type { ApiConfig } from '../start';

/** What every area of the api is built from: adapters and settings made once in `start`. */
export interface AreaContext {
  config: ApiConfig;
  db: Database;
  cache: CacheAdapters;
  /**
   * One transaction per change, with the bus records it causes in the outbox (domain
   * events, system messages), published after the commit by the api's relay.
   */
  work: UnitOfWork;
  /** Snowflake ids for the system messages (node id `App.MachineID`). */
  ids: IdGenerator;
  /** Object storage of uploads (OSS, or local disk served by the api). */
  storage: BlobStore;
  mailQueue: MailQueue;
  tokens: TokenService;
  /** Token epochs: checked on every request, moved when sessions end. */
  sessions: SessionService;
  /** Request limits of docs/api.md §1.5, for the zod schemas. */
  limits: InputLimits;
  log: Logger;
}

/**
 * One area of docs/api.md (user, account, application, ...): its routes, and optionally plain
 * express handlers (file serving) and background work (clean-up jobs) with their own close.
 */
export interface Area {
  name: string;
  routes(ctx: AreaContext): AnyRoute[];
  http?(app: Express, ctx: AreaContext): void;
  background?(ctx: AreaContext): Closable;
}
