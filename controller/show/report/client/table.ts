// A table of the receipt: sortable by any column (click its header), narrowed by one filter box
// (a case-insensitive substring of the row's text), and windowed (only the rows in view exist).
import type { Cell, Table } from '../payload.js';
import { el, section } from './dom.js';
import { VirtualList } from './virtual.js';

const HASH_SHOWN = 12;

function cellText(c: Cell): string {
  return c === null ? '—' : typeof c === 'number' ? c.toLocaleString('en-US') : c;
}

function compare(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return 1; // nulls last, whichever the direction
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function table(t: Table): HTMLElement {
  const { root, head } = section(`table-${t.id}`, t.title, t.note);
  root.classList.add('table');
  if (t.unrecorded) root.append(el('p', 'unrecorded', t.unrecorded));
  const total = t.rows.length;
  const filter = el('input', 'filter');
  filter.type = 'search';
  filter.placeholder = 'filter';
  filter.setAttribute('aria-label', `filter ${t.title}`);
  const count = el('span', 'count');
  head.append(filter, count);

  const grid = t.columns.map((c) => `minmax(0, ${c.width}fr)`).join(' ');
  const header = el('div', 'trow thead');
  header.style.gridTemplateColumns = grid;
  let sortCol = -1;
  let sortDir = 1;
  const headerCells = t.columns.map((c, k) => {
    const h = el('button', `th ${c.kind === 'num' ? 'num' : ''}`, c.label);
    h.title = `sort by ${c.label}`;
    h.addEventListener('click', () => {
      sortDir = sortCol === k ? -sortDir : 1;
      sortCol = k;
      update();
    });
    header.append(h);
    return h;
  });

  // the lowercase text of each row, made when a filter first needs it
  let texts: string[] | null = null;
  let order: number[] = t.rows.map((_, i) => i);
  const list = new VirtualList('tbody', 360, (pos) => {
    const i = order[pos]!;
    const r = t.rows[i]!;
    const row = el('div', 'trow');
    row.dataset.index = String(i);
    row.style.gridTemplateColumns = grid;
    t.columns.forEach((c, k) => {
      const v = r[k] ?? null;
      if (c.kind === 'hash' && typeof v === 'string') {
        const cell = el('span', 'td hash', `${v.slice(0, HASH_SHOWN)}…`);
        cell.title = `${v} (click to copy)`;
        cell.dataset.full = v;
        row.append(cell);
        return;
      }
      const text = cellText(v);
      const cell = el('span', `td${c.kind === 'num' ? ' num' : ''}`, text);
      if (text.length > 24) cell.title = text;
      row.append(cell);
    });
    return row;
  });
  list.root.addEventListener('click', (e) => {
    const cell = e.target as HTMLElement;
    const full = cell.dataset.full;
    if (!full) return;
    // copying needs a secure context, which file:// may not be: then select the text instead
    navigator.clipboard?.writeText(full).catch(() => {});
    cell.textContent = full;
    getSelection()?.selectAllChildren(cell);
  });

  function update(): void {
    const q = filter.value.trim().toLowerCase();
    let rows = t.rows.map((_, i) => i);
    if (q) {
      texts ??= t.rows.map((r) => r.map((c, k) => (t.columns[k]!.kind === 'num' ? `${cellText(c)} ${c ?? ''}` : cellText(c))).join('\u0001').toLowerCase());
      const all = texts;
      rows = rows.filter((i) => all[i]!.includes(q));
    }
    if (sortCol >= 0) {
      const k = sortCol;
      rows.sort((a, b) => compare(t.rows[a]![k] ?? null, t.rows[b]![k] ?? null) * sortDir || a - b);
    }
    headerCells.forEach((h, k) => {
      h.dataset.sort = k === sortCol ? (sortDir > 0 ? 'asc' : 'desc') : '';
      h.setAttribute('aria-sort', k === sortCol ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    });
    order = rows;
    count.textContent = `${rows.length.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`;
    count.dataset.shown = String(rows.length);
    count.dataset.total = String(total);
    list.root.scrollTop = 0;
    list.setCount(rows.length);
  }
  let pending = 0;
  filter.addEventListener('input', () => {
    // typing into a 100,000-row table: filter once the keys pause
    clearTimeout(pending);
    pending = window.setTimeout(update, total > 20_000 ? 120 : 0);
  });

  root.append(header, list.root);
  if (total === 0) root.append(el('p', 'empty', t.unrecorded ? 'Not recorded.' : 'None.'));
  update();
  return root;
}
