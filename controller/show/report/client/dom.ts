// The few DOM helpers of the report. Text from the receipt goes in through textContent and
// attributes only: never innerHTML.

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${((ms - m * 60_000) / 1000).toFixed(1)} s`;
}

/** A section with a heading, and an optional note under it. */
export function section(id: string, title: string, note?: string | null): { root: HTMLElement; head: HTMLElement } {
  const root = el('section', 'sec');
  root.id = id;
  const head = el('div', 'sec-head');
  head.append(el('h2', '', title));
  root.append(head);
  if (note) root.append(el('p', 'note', note));
  return { root, head };
}
