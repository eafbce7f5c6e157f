// Which signals are forwarded: keys from the terminal reach the command directly (same process
// group), so they are not sent again; anything else sent to gh-run is forwarded once.
import t from 'tap';
import { spawn } from 'node:child_process';
import { inTerminalForeground, SignalForwarder, type SignalFate } from '../../controller/run/signals.js';

// proc(5): pid (comm) state ppid pgrp session tty_nr tpgid ...
const stat = (comm: string, pgrp: number, ttyNr: number, tpgid: number): string => `4242 (${comm}) S 1 ${pgrp} ${pgrp} ${ttyNr} ${tpgid} 4194304 0 0`;

t.test('inTerminalForeground: our group is the terminal foreground group', async (t) => {
  t.equal(inTerminalForeground(stat('node', 700, 34816, 700)), true);
  t.equal(inTerminalForeground(stat('node', 700, 34816, 701)), false, 'another group is in the foreground (we are a background job)');
  t.equal(inTerminalForeground(stat('node', 700, 0, -1)), false, 'no controlling terminal');
  t.equal(inTerminalForeground(stat('a) S 1 9 9 34816 9 (b', 700, 34816, 700)), true, 'a comm with spaces and parens is skipped whole');
  t.equal(inTerminalForeground(null), false, 'no /proc');
});

t.test('SIGINT and SIGQUIT in the foreground are the terminal\'s; SIGTERM and SIGHUP are forwarded; none after the command', async (t) => {
  const child = spawn('sleep', ['30']);
  t.teardown(() => child.kill('SIGKILL'));
  const seen: [NodeJS.Signals, SignalFate][] = [];
  let foreground = true;
  const f = new SignalForwarder((s, fate) => seen.push([s, fate]), () => foreground);
  t.teardown(() => f.dispose());
  f.setTarget(child.pid!);
  process.kill(process.pid, 'SIGINT');
  process.kill(process.pid, 'SIGQUIT');
  await new Promise((r) => setTimeout(r, 50));
  t.same(seen, [['SIGINT', 'terminal'], ['SIGQUIT', 'terminal']]);
  t.equal(child.exitCode ?? child.signalCode, null, 'the command was sent nothing');
  foreground = false;
  process.kill(process.pid, 'SIGINT');
  await new Promise((r) => child.once('exit', r));
  t.same(seen.at(-1), ['SIGINT', 'forwarded'], 'not in the foreground: forwarded');
  t.equal(child.signalCode, 'SIGINT', 'and it reached the command');
  f.setTarget(null);
  process.kill(process.pid, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 50));
  t.same(seen.at(-1), ['SIGTERM', 'none'], 'no command any more: nobody to send it to');
});
