import t from 'tap';
import { inferRuntime } from '../../controller/aggregate/environment.js';
import { end, exec, exit, facts, hello, receiptOf } from '../helpers/events.js';

t.test('runtime from known interpreter families only', async (t) => {
  t.equal(inferRuntime('/usr/bin/python3.11'), 'python3.11');
  t.equal(inferRuntime('/usr/local/bin/node'), 'node');
  t.equal(inferRuntime('/usr/bin/perl5.36.0'), 'perl5.36.0');
  t.equal(inferRuntime('/bin/dash'), 'dash');
  t.equal(inferRuntime('/usr/bin/ruby3.1'), 'ruby3.1');
  t.equal(inferRuntime('/usr/bin/make'), null);
  t.equal(inferRuntime('/usr/bin/pythonista'), null);
  t.equal(inferRuntime(null), null);
});

t.test('environment section: host facts, version, guest; runtime from the root exe, else the resolved command', async (t) => {
  const r = receiptOf([hello(), exec({ path: '/usr/bin/env', exe: '/usr/bin/env' }), exec({ path: '/usr/bin/python3', exe: '/usr/bin/python3.12' }), exit(), end()], facts({ guest: true }));
  t.same(r.environment, {
    hostname: 'testhost',
    os: 'linux',
    kernel: '6.1.0-test',
    arch: 'x86_64',
    uid: 1000,
    gid: 1000,
    cwd: '/home/me',
    runtime: 'python3.12',
    glasshouse_version: '0.3.0',
    guest: true,
    guest_mounts: [],
  });
  const untraced = receiptOf([], facts({ command_realpath: '/usr/bin/bash', collector: { status: 'unavailable', reason: 'x' } }));
  t.equal(untraced.environment.runtime, 'bash');
});
