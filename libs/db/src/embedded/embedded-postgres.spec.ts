import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createDatabase } from '../create-database';
import { User } from '../entities/user.entity';
import { migrate } from '../migrate';
import { MIGRATIONS } from '../migrations';

/** The embedded database as the standalone server uses it: one folder, one process. */
describe('embedded database (PGlite)', () => {
  let root: string;
  const silent = pino({ level: 'silent' });

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'embedded-db-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps committed rows across a close and a reopen, and migrates only once', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    );
    const dir = path.join(root, 'db');
    const first = await createDatabase({ kind: 'embedded', dir }, log);
    expect(await migrate(first.orm, silent)).toEqual(MIGRATIONS.map((m) => m.name));
    const em = first.em.fork();
    em.create(User, { email: 'kept@example.com', password: 'hash' });
    await em.flush();
    await first.close();
    await first.close(); // safe twice
    expect(lines).toContainEqual(
      expect.objectContaining({ port: 'database', adapter: 'pglite', msg: 'database adapter' }),
    );

    const again = await createDatabase({ kind: 'embedded', dir }, silent);
    try {
      expect(await migrate(again.orm, silent)).toEqual([]);
      const user = await again.em.fork().findOne(User, { email: 'kept@example.com' });
      expect(user?.password).toBe('hash');
    } finally {
      await again.close();
    }
  });

  it('refuses a second opener while the folder is in use, naming the owner, and opens after close', async () => {
    const dir = path.join(root, 'db');
    const first = await createDatabase({ kind: 'embedded', dir }, silent);
    try {
      const err = await createDatabase({ kind: 'embedded', dir }, silent).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'InfrastructureError', retryable: false });
      expect((err as Error).message).toContain(`in use by process ${process.pid}`);
    } finally {
      await first.close();
    }
    const second = await createDatabase({ kind: 'embedded', dir }, silent);
    await second.close();
  });

  it('takes over the lock and socket of a process that died without releasing them', async () => {
    const dir = path.join(root, 'db');
    await createDatabase({ kind: 'embedded', dir }, silent).then((db) => db.close());
    // No process has this pid: pids stay far below 2^22 on Linux.
    await writeFile(path.join(dir, 'owner.pid'), '4194999\n');
    // And its socket file: a crash leaves it behind.
    await writeFile(path.join(dir, '.s.PGSQL.5432'), '');
    const db = await createDatabase({ kind: 'embedded', dir }, silent);
    try {
      expect(await readFile(path.join(dir, 'owner.pid'), 'utf8')).toBe(`${process.pid}\n`);
    } finally {
      await db.close();
    }
  });
});
