// The process tree: collapsible nodes, each with its full argv (quoted), pid, how it ended, its
// program, and what went wrong or was withheld.
import type { Payload } from '../payload.js';
import { el, section } from './dom.js';
import { VirtualList } from './virtual.js';

export function tree(data: Payload): HTMLElement {
  const procs = data.procs;
  const { root, head } = section('tree', 'Process tree');
  // a big tree starts with the root's children shown and theirs folded
  const collapsed = new Uint8Array(procs.length);
  if (procs.length > 200) procs.forEach((p, i) => (collapsed[i] = p[1] >= 1 && p[3] > 0 ? 1 : 0));
  let visible: number[] = [];
  const relist = (): void => {
    visible = [];
    for (let i = 0; i < procs.length; ) {
      visible.push(i);
      i += collapsed[i] ? procs[i]![2] + 1 : 1;
    }
    list.setCount(visible.length);
  };

  const list = new VirtualList('tree-list', 440, (pos) => {
    const i = visible[pos]!;
    const [pid, depth, descendants, children, command, exe, , , outcome, , status, marks] = procs[i]!;
    const row = el('div', 'tree-row');
    row.dataset.index = String(i);
    row.dataset.pid = String(pid);
    row.style.paddingLeft = `${4 + Math.min(depth, 40) * 14}px`;
    const toggle = el('button', 'toggle', children === 0 ? '' : collapsed[i] ? '▸' : '▾');
    toggle.disabled = children === 0;
    toggle.title = children === 0 ? 'no children' : `${collapsed[i] ? 'show' : 'hide'} ${children} child${children === 1 ? '' : 'ren'} (${descendants} below)`;
    toggle.setAttribute('aria-expanded', String(!collapsed[i]));
    row.append(toggle, el('span', 'pid', String(pid)), el('span', `status st-${outcome}`, status));
    const cmd = el('span', 'cmd', command);
    cmd.title = `${command}\n${exe}`;
    row.append(cmd);
    if (exe) row.append(el('span', 'exe', exe));
    for (const m of marks) row.append(el('span', m.startsWith('privileged') || m.includes('withheld') ? 'mark mark-priv' : 'mark mark-fail', m));
    if (children > 0 && collapsed[i]) row.append(el('span', 'hidden-count', `+${descendants}`));
    return row;
  });
  list.root.addEventListener('click', (e) => {
    const target = e.target as HTMLElement;
    if (!target.classList.contains('toggle')) return;
    const row = target.closest<HTMLElement>('.tree-row');
    if (!row?.dataset.index) return;
    const i = Number(row.dataset.index);
    collapsed[i] = collapsed[i] ? 0 : 1;
    relist();
  });

  const all = (value: 0 | 1) => () => {
    procs.forEach((p, i) => (collapsed[i] = p[3] > 0 && (value === 0 || p[1] >= 1) ? value : 0));
    relist();
  };
  const expand = el('button', 'btn', 'expand all');
  expand.addEventListener('click', all(0));
  const fold = el('button', 'btn', 'collapse all');
  fold.addEventListener('click', all(1));
  head.append(expand, fold);

  root.append(list.root);
  if (procs.length === 0) root.append(el('p', 'empty', 'No process ran.'));
  relist();
  return root;
}
