import t from 'tap';
import { end, exec, exit, hello, receiptOf, signalFrame, tamper } from '../helpers/events.js';
import { tamperDetail, tamperLines } from '../../controller/aggregate/tampering.js';
import { parseFrame } from '../../controller/schema/frames.js';

const H3 = hello({ proto: 3, pid: 4300 });

t.test('an attempt degrades the receipt, is listed, and said in outcome.errors', async (t) => {
  const r = receiptOf([H3, exec(), tamper({ target: 4300 }), exit(), end({ events: 3 })]);
  t.equal(r.collector.status, 'degraded');
  t.match(r.collector.reason, /^tampering: 1 attempt on gh-run or the helper/);
  t.same(r.collector.tampering, [{ pid: 4242, call: 'kill', target: 'helper', detail: 'SIGTERM to pid 4300', result: 'ok', count: 1 }]);
  t.ok(r.outcome.errors.includes('tampering: pid 4242 called kill on the helper: SIGTERM to pid 4300: ok'));
  t.equal(r.collector.events, 3, 'a tamper frame is an event');
});

t.test('the same attempt twice is one entry counted twice; failures keep their errno', async (t) => {
  const r = receiptOf([
    H3,
    exec(),
    tamper({ kind: 'ptrace', call: 'ptrace', who: 'controller', target: 4200, arg: 0x4206 }),
    tamper({ kind: 'ptrace', call: 'ptrace', who: 'controller', target: 4200, arg: 0x4206 }),
    tamper({ kind: 'ptrace', call: 'ptrace', who: 'helper', target: 4300, arg: 0x4206, err: 'EPERM' }),
    end(),
  ]);
  t.same(r.collector.tampering, [
    { pid: 4242, call: 'ptrace', target: 'controller', detail: 'PTRACE_SEIZE of pid 4200', result: 'ok', count: 2 },
    { pid: 4242, call: 'ptrace', target: 'helper', detail: 'PTRACE_SEIZE of pid 4300', result: 'EPERM', count: 1 },
  ]);
  t.ok(r.outcome.errors.some((e) => /\(2 times\)$/.test(e)));
});

t.test('what each kind says', async (t) => {
  const f = (o: Parameters<typeof tamper>[0]) => parseFrame(tamper(o), 0) as any;
  t.equal(tamperDetail(f({ target: -1 })), 'SIGTERM to every process it may signal');
  t.equal(tamperDetail(f({ target: 0, who: 'controller' })), 'SIGTERM to process group of its own');
  t.equal(tamperDetail(f({ target: -4200, who: 'controller' })), 'SIGTERM to process group 4200');
  t.equal(tamperDetail(f({ call: 'pidfd_send_signal', target: 5, sig: 'SIGKILL', arg: 9 })), 'SIGKILL through pidfd 5');
  t.equal(tamperDetail(f({ kind: 'getfd', call: 'pidfd_getfd', target: 3, arg: 12 })), 'fd 12 through pidfd 3');
  t.equal(tamperDetail(f({ kind: 'memory', call: 'process_vm_writev', target: 4200 })), 'memory of pid 4200');
  t.equal(tamperDetail(f({ kind: 'proc', call: 'openat', path: '/proc/4200/fd/7' })), '/proc/4200/fd/7');
  t.equal(tamperDetail(f({ kind: 'pipe', call: 'openat', path: '/tmp/link' })), "the helper's pipe through /tmp/link");
  t.equal(tamperDetail(f({ kind: 'ptrace', call: 'ptrace', arg: 999, target: 1 })), 'request 999 of pid 1');
});

t.test('a signal from outside the tree is listed; one the kernel side also saw is not listed twice', async (t) => {
  const r = receiptOf([H3, exec(), tamper({ target: 4300 }), signalFrame({ pid: 4242, sig: 'SIGTERM' }), signalFrame({ pid: 999, sig: 'SIGUSR1', uid: 1000 }), end()]);
  t.same(r.collector.tampering.map((e) => [e.pid, e.call, e.target, e.detail]), [
    [999, 'signal', 'helper', "SIGUSR1 from uid 1000, outside the command's tree (ignored)"],
    [4242, 'kill', 'helper', 'SIGTERM to pid 4300'],
  ]);
});

t.test('outcome.errors: at most ten lines, then how many more', async (t) => {
  const entries = Array.from({ length: 13 }, (_, i) => ({ pid: i, call: 'kill', target: 'helper' as const, detail: 'x', result: 'ok', count: 1 }));
  const lines = tamperLines(entries);
  t.equal(lines.length, 11);
  t.equal(lines[10], 'tampering: and 3 more attempts (collector.tampering)');
});

t.test('no attempt: an empty list and an ok status', async (t) => {
  const r = receiptOf([H3, exec(), exit(), end()]);
  t.same(r.collector.tampering, []);
  t.equal(r.collector.status, 'ok');
});
