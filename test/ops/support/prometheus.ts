/** One sample of a Prometheus text exposition: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a scrape, as Prometheus would read them (comments skipped). */
export class Scrape {
  constructor(
    readonly app: string,
    readonly samples: Sample[],
  ) {}

  /** Fetches `<baseUrl>/metrics` and parses it; fails on anything but 200. */
  static async of(app: string, baseUrl: string): Promise<Scrape> {
    const res = await fetch(`${baseUrl}/metrics`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${app} /metrics: HTTP ${res.status}: ${text}`);
    return new Scrape(app, parse(text));
  }

  /** Samples of `name` whose labels include every one in `labels`. */
  find(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
  }

  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }

  /** Sum over the matching samples (0 when there is none). */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.find(name, labels).reduce((n, s) => n + s.value, 0);
  }

  /** Largest matching value (−Infinity when there is none). */
  max(name: string, labels: Record<string, string> = {}): number {
    return Math.max(...this.find(name, labels).map((s) => s.value));
  }
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL)) {
      labels[k] = v.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}
