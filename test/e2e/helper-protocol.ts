// The privileged helper's stdin protocol is tiny, bounded and validated: junk, overlong lines,
// NUL bytes and early EOF make it exit cleanly with an error (status 2 for protocol errors,
// 0 for EOF, which means stop), and it never follows anything it was not asked to properly.
import t from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { requireBpf } from '../helpers/gh-run.js';
import { HELPER, startHelper } from '../helpers/helper.js';

interface Outcome { code: number | null; frames: any[]; stderr: string }

/** Start the helper, give it `input` (once it said hello, unless told not to wait), then EOF. */
async function feed(input: Buffer | string, waitHello = true): Promise<Outcome> {
  const helper = startHelper([HELPER], { killAfterMs: 20000 });
  if (waitHello) await helper.first;
  const code = await helper.stop(input);
  return { code, frames: helper.frames(), stderr: helper.stderr() };
}

t.test('protocol errors end the helper with status 2 and an error frame', async (t) => {
  if (!(await requireBpf(t))) return;
  const cases: [string, Buffer | string][] = [
    ['unknown verb', 'attach 1\n'],
    ['overlong line', 'follow ' + '1'.repeat(500) + '\n'],
    ['NUL byte', Buffer.from('follow 1\0\n')],
    ['pid not a number', 'follow abc\n'],
    ['negative pid', 'follow -5\n'],
    ['pid out of range', 'follow 99999999\n'],
    ['random bytes', randomBytes(4096)],
  ];
  for (const [name, input] of cases) {
    const r = await feed(input);
    t.equal(r.code, 2, `${name}: exit 2`);
    const last = r.frames.at(-1);
    t.match(last, { t: 'error', fatal: true }, `${name}: fatal error frame`);
    t.notOk(r.frames.some((f) => f.t === 'following'), `${name}: follows nothing`);
  }
});

t.test('EOF before any command is a clean stop', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await feed('');
  t.equal(r.code, 0);
  t.match(r.frames.at(-1), { t: 'end', reason: 'stop' });
  const partial = await feed('follo');
  t.equal(partial.code, 0, 'a half line then EOF: stop, nothing followed');
  t.notOk(partial.frames.some((f) => f.t === 'following'));
});

t.test('a second follow is a protocol error', async (t) => {
  if (!(await requireBpf(t))) return;
  // a real child of ours for the first, so that it is accepted (armed: a sleeping child makes no
  // syscall, so it is not adopted before the second line arrives)
  const sleeper = spawn('/bin/sleep', ['5']);
  const r = await feed(`follow ${sleeper.pid}\nfollow ${sleeper.pid}\n`);
  sleeper.kill();
  t.match(r.frames.find((f) => f.t === 'armed'), { pid: sleeper.pid });
  t.equal(r.code, 2);
  t.match(r.frames.at(-1), { t: 'error', fatal: true, msg: /only one follow/ });
});

// Only root can see which programs a process holds (fdinfo, bpftool); CI runs this file as
// root too, so the check always runs there.
if (process.getuid!() === 0) t.test('no program stays attached after the helper exits', async (t) => {
  if (!(await requireBpf(t))) return;
  const { execFileSync } = await import('node:child_process');
  const { readdirSync, readFileSync } = await import('node:fs');
  // the program ids behind the helper's own fds (fdinfo says prog_id for program and link fds)
  const progsOf = (pid: number): number[] => [...new Set(readdirSync(`/proc/${pid}/fdinfo`).flatMap((fd) => {
    const m = /^prog_id:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    return m ? [Number(m[1])] : [];
  }))];
  const all = (): number[] => (JSON.parse(execFileSync('bpftool', ['prog', 'show', '--json'], { encoding: 'utf8' })) as any[]).map((p) => p.id);
  const helper = startHelper([HELPER]);
  t.match(await helper.first, { t: 'hello' });
  const ids = progsOf(helper.child.pid!);
  // fork, exec, exit, sys_enter, sys_exit; sock_send_length, sock_recv_length, tcp_destroy_sock,
  // inet_sock_set_state
  t.equal(ids.length, 9, 'nine programs loaded while it runs');
  t.ok(ids.every((id) => all().includes(id)), 'and the kernel lists them');
  helper.child.kill('SIGKILL'); // the worst case: no chance to clean up
  await helper.closed;
  // programs are freed after an RCU grace period: allow a few seconds, not a fixed sleep
  let left = all().filter((id) => ids.includes(id));
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await new Promise((res) => setTimeout(res, 100));
    left = all().filter((id) => ids.includes(id));
  }
  t.same(left, [], 'they went away with the process');
});
