// A window over a long list of fixed-height rows: a scrolling box whose inner spacer is as tall
// as all the rows, holding only the rows in view (and a few around). 100,000 rows cost the DOM
// a few dozen elements.

export const ROW_HEIGHT = 22;
const OVERSCAN = 8;

export class VirtualList {
  readonly root: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private count = 0;
  private drawn = '';

  constructor(
    cls: string,
    private readonly maxHeight: number,
    private readonly renderRow: (position: number) => HTMLElement,
  ) {
    this.root = document.createElement('div');
    this.root.className = `vlist ${cls}`;
    this.spacer = document.createElement('div');
    this.spacer.className = 'vspacer';
    this.root.append(this.spacer);
    this.root.addEventListener('scroll', () => this.draw(false), { passive: true });
  }

  /** Set the number of rows (after filtering, sorting, collapsing) and redraw. */
  setCount(n: number): void {
    this.count = n;
    this.root.dataset.rows = String(n);
    this.spacer.style.height = `${n * ROW_HEIGHT}px`;
    // as tall as its rows, up to maxHeight (the border's 2px included)
    this.root.style.height = `${Math.min(n * ROW_HEIGHT, this.maxHeight) + 2}px`;
    this.draw(true);
  }

  draw(force: boolean): void {
    const top = this.root.scrollTop;
    const height = this.root.clientHeight || this.maxHeight;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.count, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const key = `${first}:${last}`;
    if (!force && key === this.drawn) return;
    this.drawn = key;
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = this.renderRow(i);
      row.style.top = `${i * ROW_HEIGHT}px`;
      row.dataset.pos = String(i);
      rows.push(row);
    }
    this.spacer.replaceChildren(...rows);
  }
}
