import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { InfrastructureError } from '@chat/protocol';

/** Held while this process owns a folder; `release` is safe to call twice. */
export interface DataDirLock {
  file: string;
  release(): void;
}

const LOCK_FILE = 'owner.pid';
/** Lock files this process holds: a file naming our own pid is stale unless listed here. */
const held = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<dir>/owner.pid` for this process. PGlite does not lock its data folder itself, and
 * two processes writing one folder would corrupt it; a lock left by a process that died is
 * taken over. Fails with a message naming the owner when a live process holds it.
 */
export function lockDataDir(dir: string): DataDirLock {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      held.add(file);
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          held.delete(file);
          rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new InfrastructureError(`database: cannot create ${file}`, err, false);
      }
      const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      // Our own pid in a file we do not hold: a previous run with the same pid (pid 1 in a
      // container) died without releasing it.
      const isOurs = owner === process.pid;
      if (Number.isInteger(owner) && (isOurs ? held.has(file) : isAlive(owner))) {
        throw new InfrastructureError(
          `database: ${dir} is in use by process ${owner}. Stop it first: the embedded ` +
            'database serves one process at a time.',
          undefined,
          false,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new InfrastructureError(`database: cannot take ${file}`, undefined, false);
}
