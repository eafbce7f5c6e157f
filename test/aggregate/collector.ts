import t from 'tap';
import { end, exec, exit, facts, hello, net, open, receiptOf, repeats, ROOT, stats } from '../helpers/events.js';

t.test('a clean stream: ok, events counted, syscalls sorted by name', async (t) => {
  const r = receiptOf([hello(), exec(), open({ path: '/a' }), stats({ events: 2 }), exit(), end({ events: 3, syscalls: { write: 2, openat: 5, read: 9 } })]);
  t.same(r.collector, { status: 'ok', reason: null, events: 3, events_lost: 0, events_folded: 0, argv_captured: true, network_bytes: false, dns_skipped: 0, sends_unreported: 0, tampering: [] });
  t.same(Object.keys(r.syscalls), ['openat', 'read', 'write']);
  t.same(r.syscalls, { openat: 5, read: 9, write: 2 });
  t.same(r.outcome.errors, []);
});

t.test('lost events -> degraded with the count', async (t) => {
  const r = receiptOf([hello(), exec(), exit(), end({ lost: 12 })]);
  t.equal(r.collector.status, 'degraded');
  t.equal(r.collector.events_lost, 12);
  t.equal(r.collector.reason, '12 events lost (ring buffer full)');
  t.ok(r.outcome.errors.includes('collector degraded: 12 events lost (ring buffer full)'));
});

t.test('no end frame -> degraded; lost taken from the last stats; no syscalls', async (t) => {
  const r = receiptOf([hello(), exec(), stats({ lost: 1 }), stats({ lost: 4 }), exit()]);
  t.equal(r.collector.status, 'degraded');
  t.equal(r.collector.events_lost, 4);
  t.match(r.collector.reason, /no end frame/);
  t.match(r.collector.reason, /4 events lost/);
  t.same(r.syscalls, {});
});

t.test('a lifecycle problem from the run replaces the generic no-end reason', async (t) => {
  const r = receiptOf([hello(), exec()], facts({ collector: { status: 'degraded', reason: 'the helper exited with status 1 during the run' } }));
  t.equal(r.collector.status, 'degraded');
  t.equal(r.collector.reason, 'the helper exited with status 1 during the run');
});

t.test('invalid frames -> degraded', async (t) => {
  const r = receiptOf([hello(), exec(), exit(), end()], facts(), ['frame at byte 99: invalid frame: bad (field pid)']);
  t.equal(r.collector.status, 'degraded');
  t.match(r.collector.reason, /1 invalid frame\(s\): frame at byte 99/);
});

t.test('unavailable: reason from the run, nothing else', async (t) => {
  const r = receiptOf([], facts({ collector: { status: 'unavailable', reason: 'helper not found at /x: run make' } }));
  t.same(r.collector, { status: 'unavailable', reason: 'helper not found at /x: run make', events: 0, events_lost: 0, events_folded: 0, argv_captured: false, network_bytes: false, dns_skipped: 0, sends_unreported: 0, tampering: [] });
  t.same(r.outcome.errors, ['collector unavailable: helper not found at /x: run make']);
});

t.test('repeats: counted into the entry of the event with their rid; unknown rids are lost', async (t) => {
  const r = receiptOf([
    hello(),
    exec(),
    open({ path: '/etc/hosts', rid: 1 }),
    open({ path: '/tmp/log', mode: 'readwrite', rid: 2 }),
    net({ addr: '127.0.0.1', port: 8080, err: 'ECONNREFUSED', rid: 3 }),
    repeats([
      [1, 41],
      [3, 9],
    ]),
    repeats([
      [2, 4],
      [7, 5], // the open that claimed rid 7 was lost in the kernel (counted in the end frame)
    ]),
    exit(),
    end({ events: 4, lost: 1 }),
  ]);
  t.same(r.filesystem.reads, [
    { path: '/etc/hosts', pids: [ROOT], count: 42 },
    { path: '/tmp/log', pids: [ROOT], count: 5 },
  ]);
  t.same(r.filesystem.writes, [{ path: '/tmp/log', pids: [ROOT], count: 5, created: false, truncated: false, digest: null }]);
  t.equal(r.network[0]!.count, 10);
  t.equal(r.collector.events, 5, 'frames received: exec, 3 opens/nets, exit');
  t.equal(r.collector.events_folded, 41 + 9 + 4);
  t.equal(r.collector.events_lost, 1 + 5, 'the lost open and its 5 repeats');
  t.equal(r.collector.status, 'degraded');
});

t.test('repeats that arrive before the event carrying their rid still count (resolved at the end)', async (t) => {
  const r = receiptOf([hello(), exec(), repeats([[4, 2]]), open({ path: '/a', rid: 4 }), exit(), end({ events: 3 })]);
  t.same(r.filesystem.reads, [{ path: '/a', pids: [ROOT], count: 3 }]);
  t.equal(r.collector.events_folded, 2);
  t.equal(r.collector.events_lost, 0);
  t.equal(r.collector.status, 'ok');
});
