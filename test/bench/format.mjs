// Small formatting helpers for the benchmark tables.

export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const ok = (x) => typeof x === 'number' && Number.isFinite(x);

export function fmtMs(ms) {
  if (!ok(ms)) return '-';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export const fmtRatio = (r) => (ok(r) ? r.toFixed(2) : '-');
export const fmtMiB = (m) => (ok(m) ? m.toFixed(1) : '-');
export const fmtSec = (s) => (ok(s) ? `${s.toFixed(2)} s` : '-');

export function fmtRate(r) {
  if (!ok(r)) return '-';
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)}M`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(r >= 1e5 ? 0 : 1)}k`;
  return r.toFixed(0);
}

export function mdTable(head, rows) {
  const esc = (c) => String(c).replace(/\|/g, '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}
