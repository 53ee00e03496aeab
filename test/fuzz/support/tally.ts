/** How many inputs of each kind got each answer, and every answer the oracle refused. */
export class Tally {
  /** kind → answer (a status code, or a close code as `close <n>`) → count. */
  readonly byKind = new Map<string, Map<string, number>>();
  readonly defects: string[] = [];
  /** Defects beyond this many are counted, not kept. */
  private readonly keep = 50;
  defectCount = 0;
  total = 0;

  /** `kind answer` → the first few inputs that got it (`FUZZ_EXAMPLES=<n>` keeps and prints n). */
  readonly examples = new Map<string, string[]>();

  count(kind: string, answer: string | number, example?: () => string): void {
    this.total++;
    if (example) {
      const key = `${kind} ${answer}`;
      const list = this.examples.get(key) ?? [];
      if (list.length < Number(process.env.FUZZ_EXAMPLES)) list.push(example());
      this.examples.set(key, list);
    }
    let answers = this.byKind.get(kind);
    if (!answers) this.byKind.set(kind, (answers = new Map()));
    const key = String(answer);
    answers.set(key, (answers.get(key) ?? 0) + 1);
  }

  defect(what: string): void {
    this.defectCount++;
    if (this.defects.length < this.keep) this.defects.push(what);
  }

  /** Totals per answer over every kind. */
  answers(): Map<string, number> {
    const all = new Map<string, number>();
    for (const answers of this.byKind.values()) {
      for (const [a, n] of answers) all.set(a, (all.get(a) ?? 0) + n);
    }
    return all;
  }

  /** `0: 41.2%, 1001: 50.3%, …`, most frequent first. */
  answerShares(): string {
    const all = [...this.answers()].sort((a, b) => b[1] - a[1]);
    return all
      .map(
        ([a, n]) => `${a === '0' ? 'ok' : a} ${((100 * n) / Math.max(1, this.total)).toFixed(1)}%`,
      )
      .join(', ');
  }

  /** One line per kind: `kind n (ok a, 1001 b, …)`. */
  kindLines(): string[] {
    return [...this.byKind]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([kind, answers]) => {
        const n = [...answers.values()].reduce((a, b) => a + b, 0);
        const parts = [...answers]
          .sort((a, b) => b[1] - a[1])
          .map(([a, c]) => `${a === '0' ? 'ok' : a} ${c}`)
          .join(', ');
        return `${kind} ${n} (${parts})`;
      });
  }
}

/** `s` cut to `n` characters, with escapes visible: for defect reports. */
export function clip(s: string, n = 300): string {
  const shown = JSON.stringify(s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
  return shown;
}
