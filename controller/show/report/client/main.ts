// The report page: reads the receipt's display data from the JSON element renderHtml embedded,
// and builds the header, the timeline, the process tree and the tables from it.
import type { Payload } from '../payload.js';
import { el } from './dom.js';
import { table } from './table.js';
import { timeline } from './timeline.js';
import { tree } from './tree.js';

function header(d: Payload): HTMLElement {
  const h = el('header', 'top');
  h.append(el('h1', '', 'glasshouse report'));
  const cmd = el('pre', 'command', d.command);
  cmd.title = 'the command (argv, quoted as a shell would need it)';
  h.append(cmd);
  const summary = el('div', 'summary');
  summary.append(
    el('span', `badge ${d.exitFailed ? 'badge-fail' : 'badge-ok'}`, d.exit),
    el('span', 'badge', `duration ${d.duration}`),
    el('span', 'badge', `${d.procs.length} process${d.procs.length === 1 ? '' : 'es'}`),
    el('span', 'badge', d.schema === d.currentSchema ? `schema ${d.schema}` : `schema ${d.schema} (read as ${d.currentSchema})`),
  );
  h.append(summary);
  for (const b of d.banners) h.append(el('div', `banner banner-${b.level}`, b.text));
  if (d.unrecordedLine) h.append(el('div', 'banner banner-unrecorded', d.unrecordedLine));
  if (d.errors.length > 0) {
    const ul = el('ul', 'errors');
    for (const e of d.errors) ul.append(el('li', '', e));
    h.append(ul);
  }
  const facts = el('div', 'facts');
  for (const group of d.facts) {
    const box = el('div', 'fact-group');
    box.append(el('h3', '', group.title));
    const dl = el('dl');
    for (const [k, v] of group.rows) dl.append(el('dt', '', k), el('dd', '', v));
    box.append(dl);
    facts.append(box);
  }
  h.append(facts);
  return h;
}

function nav(d: Payload): HTMLElement {
  const n = el('nav', 'nav');
  const link = (id: string, text: string) => {
    const a = el('a', '', text);
    a.href = `#${id}`;
    n.append(a);
  };
  link('timeline', 'timeline');
  link('tree', 'tree');
  for (const t of d.tables) link(`table-${t.id}`, `${t.title.toLowerCase()} (${t.unrecorded && t.rows.length === 0 ? 'not recorded' : t.rows.length})`);
  return n;
}

function main(): void {
  const source = document.getElementById('gh-data');
  const app = document.getElementById('app')!;
  let data: Payload;
  try {
    data = JSON.parse(source?.textContent ?? '') as Payload;
  } catch (error) {
    app.append(el('p', 'banner banner-error', `The report's data cannot be read: ${String(error)}`));
    return;
  }
  document.title = `glasshouse: ${data.command.length > 80 ? `${data.command.slice(0, 80)}…` : data.command}`;
  app.append(header(data), nav(data), timeline(data), tree(data));
  document.body.dataset.timelineMs = performance.now().toFixed(1);
  for (const t of data.tables) app.append(table(t));
  document.body.dataset.readyMs = performance.now().toFixed(1);
}

main();
