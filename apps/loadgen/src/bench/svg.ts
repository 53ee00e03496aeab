import type { DeliverySecond } from '../run/result';

const W = 720;
const H = 360;
const M = { left: 64, right: 150, top: 40, bottom: 44 };

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** 1, 2, 5, 10, 20, 50 … spanning [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) ticks.push(v);
    }
  }
  return ticks;
}

/**
 * Send→delivery p50 and p99 per second of a run as a small standalone SVG: seconds on x,
 * milliseconds on a log scale on y (a p99 a hundred times the p50 stays readable).
 */
export function latencySvg(title: string, series: readonly DeliverySecond[]): string {
  const points = series.filter((s) => s.p50Ms !== null && s.p99Ms !== null);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  if (points.length === 0) {
    out.push(`<text x="${M.left}" y="${H / 2}">no deliveries</text>`, '</svg>');
    return out.join('\n');
  }
  const values = points.flatMap((p) => [p.p50Ms!, p.p99Ms!]).map((v) => Math.max(v, 0.01));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values) * 1.0001));
  const xMax = Math.max(1, ...points.map((p) => p.second + 1));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (s: number) => M.left + ((s + 0.5) / xMax) * pw;
  const y = (v: number) =>
    M.top + ph - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / Math.log10(hi / lo)) * ph;

  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
  );
  for (const t of logTicks(lo, hi)) {
    const ty = y(t).toFixed(1);
    out.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${ty}" y2="${ty}" stroke="#eee"/>`,
      `<text x="${M.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${t}</text>`,
    );
  }
  const step = Math.max(1, Math.ceil(xMax / 10));
  for (let s = 0; s <= xMax; s += step) {
    const tx = (M.left + (s / xMax) * pw).toFixed(1);
    out.push(`<text x="${tx}" y="${M.top + ph + 16}" text-anchor="middle">${s}</text>`);
  }
  out.push(
    `<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">seconds since the start of the run</text>`,
    `<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">send→delivery, ms (log)</text>`,
  );
  const line = (pick: (p: DeliverySecond) => number, colour: string, name: string, row: number) => {
    const d = points.map((p) => `${x(p.second).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(' ');
    out.push(
      `<polyline points="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`,
      ...points.map(
        (p) =>
          `<circle cx="${x(p.second).toFixed(1)}" cy="${y(pick(p)).toFixed(1)}" r="2.5" fill="${colour}"/>`,
      ),
      `<line x1="${M.left + pw + 16}" x2="${M.left + pw + 40}" y1="${M.top + 12 + row * 20}" y2="${M.top + 12 + row * 20}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${M.left + pw + 46}" y="${M.top + 12 + row * 20}" dominant-baseline="middle">${name}</text>`,
    );
  };
  line((p) => p.p50Ms!, '#1f77b4', 'p50', 0);
  line((p) => p.p99Ms!, '#d62728', 'p99', 1);
  out.push('</svg>');
  return out.join('\n');
}
