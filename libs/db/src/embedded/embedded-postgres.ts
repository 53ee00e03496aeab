import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { InfrastructureError } from '@chat/protocol';
import type { Logger } from 'pino';
import { lockDataDir, type DataDirLock } from './data-dir-lock';

export interface EmbeddedPostgresConfig {
  /**
   * Folder of the embedded database (`<App.DataDir>/db`), created when missing: PGlite's
   * data files under `pgdata/`, and `owner.pid` while a process serves it.
   */
  dir: string;
}

/** A running embedded server; `close` stops it and is safe to call twice. */
export interface EmbeddedPostgres {
  /** Where a PostgreSQL client connects: a Unix socket private to this process. */
  url: string;
  close(): Promise<void>;
}

/** Postgres's own socket file name; the port in the URL only names the file. */
const SOCKET_PORT = 5432;
const SOCKET_FILE = `.s.PGSQL.${SOCKET_PORT}`;
/** Longest Unix socket path Linux and macOS accept (sun_path holds 104–108 bytes). */
const MAX_SOCKET_PATH = 100;

/**
 * PostgreSQL compiled to WASM (PGlite) on the files under `cfg.dir`, served on the wire
 * protocol so the same `pg` driver, MikroORM code and migrations reach it as a real server
 * (docs/architecture.md, ports and adapters: embedded database).
 *
 * PGlite is one session shared by every connection: settings, open transactions and
 * prepared statements are shared. Clients must therefore use a pool of exactly one
 * connection, which `createDatabase` does. It listens on a Unix socket in `cfg.dir` (no
 * port taken; only this user can enter the folder), or in a fresh private folder under the
 * system's temporary one when that path would be too long for a socket; on Windows, which
 * has no such sockets for `pg`, on a loopback port.
 */
export async function startEmbeddedPostgres(
  cfg: EmbeddedPostgresConfig,
  log: Logger,
): Promise<EmbeddedPostgres> {
  const dir = path.resolve(cfg.dir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new InfrastructureError(`database: cannot create ${dir}`, err, false);
  }
  const lock: DataDirLock = lockDataDir(dir);
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  let socketDir: string | undefined;
  const release = async () => {
    await server?.stop().catch((err: unknown) => log.warn({ err }, 'pglite socket stop failed'));
    if (db && !db.closed) await db.close();
    if (socketDir) rmSync(socketDir, { recursive: true, force: true });
    lock.release();
  };
  try {
    const t0 = Date.now();
    db = await PGlite.create({ dataDir: path.join(dir, 'pgdata') });
    let url: string;
    if (process.platform === 'win32') {
      server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
      await server.start();
      url = `postgres://postgres@${server.getServerConn()}/postgres`;
    } else {
      let dirOfSocket = dir;
      if (path.join(dir, SOCKET_FILE).length > MAX_SOCKET_PATH) {
        dirOfSocket = socketDir = mkdtempSync(path.join(os.tmpdir(), 'chat-pglite-'));
      }
      const socket = path.join(dirOfSocket, SOCKET_FILE);
      // Left by a process that died: the lock says nobody serves this folder now.
      rmSync(socket, { force: true });
      server = new PGLiteSocketServer({ db, path: socket, maxConnections: 1 });
      await server.start();
      url = `postgres://postgres@${encodeURIComponent(dirOfSocket)}:${SOCKET_PORT}/postgres`;
    }
    log.debug({ dir, ms: Date.now() - t0 }, 'embedded database started');
    let closing: Promise<void> | undefined;
    return { url, close: () => (closing ??= release()) };
  } catch (err) {
    await release().catch(() => undefined);
    if (err instanceof InfrastructureError) throw err;
    throw new InfrastructureError(`database: cannot start the embedded database in ${dir}`, err);
  }
}
