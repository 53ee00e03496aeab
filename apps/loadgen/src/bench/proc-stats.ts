import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Figures of processes on this machine read from /proc (Linux): CPU time from
 * /proc/<pid>/stat, resident memory from /proc/<pid>/status, processes found by name.
 */

/** Clock ticks per second of the utime / stime fields (USER_HZ, almost always 100). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time the process has used, user + system, in ms; undefined once it is gone. */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Resident set size (VmRSS) in KiB; undefined once the process is gone. */
export function rssKbOf(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function processIds(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every process whose command name (/proc/<pid>/comm) is `name`, e.g. postgres backends. */
export function pidsNamed(name: string): number[] {
  return processIds().filter((pid) => read(`/proc/${pid}/comm`)?.trim() === name);
}

export function commandLineOf(pid: number): string[] {
  return (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
}

/**
 * The JVM of the Kafka broker listening on `brokers` (`host:port`): a `kafka.Kafka` process
 * whose server.properties names that port; the only broker when there is just one.
 */
export function kafkaBrokerPid(brokers: string): number | undefined {
  const port = brokers.split(',')[0]?.split(':').pop();
  const candidates = processIds().filter((pid) => commandLineOf(pid).includes('kafka.Kafka'));
  const match = candidates.find((pid) => {
    const props = read(commandLineOf(pid).at(-1) ?? '');
    return props !== undefined && new RegExp(`^listeners=.*:${port}\\b`, 'm').test(props);
  });
  return match ?? (candidates.length === 1 ? candidates[0] : undefined);
}

/** Processes measured together under one name (a server, "postgres", "kafka"). */
export interface ProcessGroup {
  name: string;
  /** Looked up at each sample: backends come and go. */
  pids(): number[];
  /** Counted as the server (false: the load generator's own workers). */
  server: boolean;
}

export interface GroupCpu {
  name: string;
  server: boolean;
  /** CPU used over the window, in % of one core. */
  cpuPercent: number;
  cpuMs: number;
}

/**
 * CPU used by each group between `start()` and `stop()`. A process that appears during the
 * window (a new backend) counts from zero; one that ends during it loses its share.
 */
export class CpuMeter {
  private before = new Map<number, number>();
  private startedAt = 0;

  constructor(private readonly groups: readonly ProcessGroup[]) {}

  start(): void {
    this.before = new Map();
    for (const g of this.groups) {
      for (const pid of g.pids()) this.before.set(pid, cpuMsOf(pid) ?? 0);
    }
    this.startedAt = performance.now();
  }

  stop(): GroupCpu[] {
    const wallMs = performance.now() - this.startedAt;
    return this.groups.map((g) => {
      let cpuMs = 0;
      for (const pid of new Set(g.pids())) {
        const now = cpuMsOf(pid);
        if (now !== undefined) cpuMs += now - (this.before.get(pid) ?? 0);
      }
      return {
        name: g.name,
        server: g.server,
        cpuPercent: wallMs > 0 ? Math.round((1000 * cpuMs) / wallMs) / 10 : 0,
        cpuMs: Math.round(cpuMs),
      };
    });
  }
}
