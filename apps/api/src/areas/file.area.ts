import { PgFileRepository, PgMembershipRepository, PgMessageQueryRepository } from '@chat/db';
import { FileService } from '@chat/domain';
import { fileSchemas } from '@chat/protocol';
import { blobStoreConfig, LOCAL_FILES_PATH } from '@chat/runtime';
import { serveLocalFiles } from '@chat/storage';
import { fileRoutes } from '../handlers/file.routes';
import type { Area } from './area';
import { scheduleFileCleanup } from './file-cleanup';

/** docs/api.md §12 (files and avatars), the file message of §11 and §14 (the orphan-file clean-up). */
export const fileArea: Area = {
  name: 'file',
  routes: ({ config, db, storage, work, ids, limits, log }) => {
    const service = new FileService({
      files: new PgFileRepository(db.em),
      relations: new PgMembershipRepository(db.em),
      store: storage,
      work,
      maxImageBytes: config.Rule.BiggestImageSize,
      maxFileBytes: config.Rule.BiggestFileSize,
      replyTargets: new PgMessageQueryRepository(db.em),
      ids,
      log: log.child({ component: 'files' }),
    });
    return fileRoutes(service, fileSchemas(limits), {
      maxImageBytes: config.Rule.BiggestImageSize,
      maxFileBytes: config.Rule.BiggestFileSize,
    });
  },
  // Files on local disk are served by the api itself (docs/architecture.md, embedded default).
  http: (app, { config }) => {
    const store = blobStoreConfig(config);
    if (store.kind === 'local') app.use(LOCAL_FILES_PATH, serveLocalFiles(store.dir));
  },
  background: ({ config, db, storage, cache, log }) =>
    scheduleFileCleanup({
      files: new PgFileRepository(db.em),
      store: storage,
      lock: cache.cache,
      periodMs: config.Auto.DeleteExpiredFileDuration,
      lockTtlMs: config.Auto.DeleteExpiredFileDuration,
      retry: { delayMs: config.Auto.Retry.Duration, maxTimes: config.Auto.Retry.MaxTimes },
      log: log.child({ component: 'file-cleanup' }),
    }),
};
