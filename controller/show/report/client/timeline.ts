// The timeline: one bar per process, in tree order, indented under its parent, from its start to
// its exit (or to the run's end, when it still runs or its exit was not recorded).
import type { Payload, ProcRow } from '../payload.js';
import { el, formatMs, section } from './dom.js';
import { VirtualList } from './virtual.js';

const OUTCOMES: [cls: string, label: string][] = [
  ['ok', 'exit 0'],
  ['nonzero', 'non-zero exit'],
  ['signal', 'killed by a signal'],
  ['running', 'still running at the end'],
  ['unknown', 'exit not known'],
  ['noend', 'end not recorded'],
];

export function tooltipText(p: ProcRow): string {
  const [pid, , , , command, exe, start, end, outcome, endUnknown, status, marks] = p;
  const lines = [command, `pid ${pid}${exe ? `  ${exe}` : ''}`, `${status}`, `start +${formatMs(start)}`];
  if (outcome === 'running') lines.push('still running when the receipt was written');
  else if (endUnknown) lines.push('duration: not recorded (its end was not reported): drawn to the end of the run');
  else lines.push(`duration ${formatMs(end - start)}`);
  return lines.concat(marks).join('\n');
}

export function timeline(data: Payload): HTMLElement {
  const { root, head } = section('timeline', `Timeline (${data.procs.length} process${data.procs.length === 1 ? '' : 'es'})`);
  const legend = el('div', 'legend');
  for (const [cls, label] of OUTCOMES) {
    const item = el('span', 'legend-item');
    item.append(el('span', `swatch bar-${cls}`), document.createTextNode(label));
    legend.append(item);
  }
  head.append(legend);

  const total = data.totalMs;
  const axis = el('div', 'tl-row tl-axis');
  const axisLane = el('div', 'tl-lane');
  axis.append(el('div', 'tl-label', 'process'), axisLane);
  for (let i = 0; i <= 4; i++) {
    const tick = el('span', 'tick', formatMs((total * i) / 4));
    tick.style.left = `${i * 25}%`;
    axisLane.append(tick);
  }

  const tip = el('div', 'tooltip');
  tip.hidden = true;
  const list = new VirtualList('tl-list', 440, (i) => {
    const p = data.procs[i]!;
    const row = el('div', 'tl-row');
    row.dataset.index = String(i);
    row.dataset.pid = String(p[0]);
    const label = el('div', 'tl-label', `${p[0]} ${p[4]}`);
    label.style.paddingLeft = `${4 + Math.min(p[1], 40) * 10}px`;
    const lane = el('div', 'tl-lane');
    const bar = el('div', `bar bar-${p[8]}${p[9] ? ' bar-noend' : ''}`);
    bar.style.left = `${(p[6] / total) * 100}%`;
    bar.style.width = `${(Math.max(0, p[7] - p[6]) / total) * 100}%`;
    lane.append(bar);
    row.append(label, lane);
    return row;
  });
  list.root.addEventListener('mousemove', (e) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>('.tl-row');
    if (!row?.dataset.index) {
      tip.hidden = true;
      return;
    }
    tip.textContent = tooltipText(data.procs[Number(row.dataset.index)]!);
    tip.hidden = false;
    tip.style.left = `${Math.min(e.clientX + 14, window.innerWidth - 420)}px`;
    tip.style.top = `${e.clientY + 14}px`;
  });
  list.root.addEventListener('mouseleave', () => (tip.hidden = true));
  root.append(axis, list.root, tip);
  if (data.procs.length === 0) root.append(el('p', 'empty', 'No process ran.'));
  list.setCount(data.procs.length);
  return root;
}
