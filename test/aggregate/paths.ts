import t from 'tap';
import { posix } from 'node:path';
import { absolutePath, isNormalAbsolute, realProcPath } from '../../controller/aggregate/paths.js';

t.test('absolutePath joins relative paths to the base and normalises lexically', async (t) => {
  t.equal(absolutePath('a/../b/./c', '/base/dir'), '/base/dir/b/c');
  t.equal(absolutePath('../../..', '/a'), '/');
  t.equal(absolutePath('/x//y/../z/', null), '/x/z');
  t.equal(absolutePath('/abs', '/ignored'), '/abs');
  t.equal(absolutePath('rel', null), 'rel', 'no base: left relative');
  t.equal(absolutePath('with space/ü', '/d'), '/d/with space/ü');
});

t.test('realProcPath rewrites only /proc/self and /proc/thread-self', async (t) => {
  t.equal(realProcPath('/proc/self', 7, 8), '/proc/7');
  t.equal(realProcPath('/proc/self/fd/3', 7, 8), '/proc/7/fd/3');
  t.equal(realProcPath('/proc/thread-self/stat', 7, 8), '/proc/7/task/8/stat');
  t.equal(realProcPath('/proc/selfie', 7, 8), '/proc/selfie');
  t.equal(realProcPath('/proc/9/status', 7, 8), '/proc/9/status');
});

t.test('absolutePath: the shortcut for normal absolute paths agrees with posix.normalize', async (t) => {
  const pieces = ['', '/', '//', '.', '..', '...', '.a', 'a.', 'a', 'b c', 'ü', '/.', '/..', './', '../'];
  let checked = 0;
  for (const a of pieces) for (const b of pieces) for (const c of pieces) {
    const path = `/${a}${b}/${c}`;
    let slow = posix.normalize(path);
    if (slow.length > 1 && slow.endsWith('/')) slow = slow.slice(0, -1);
    if (absolutePath(path, null) !== slow) t.fail(`${JSON.stringify(path)}: ${absolutePath(path, null)} vs ${slow}`);
    if (isNormalAbsolute(path) && path !== slow) t.fail(`${JSON.stringify(path)} is not normal`);
    checked++;
  }
  t.ok(isNormalAbsolute('/usr/lib/x.so.1'));
  t.ok(isNormalAbsolute('/'));
  t.notOk(isNormalAbsolute('relative'));
  t.notOk(isNormalAbsolute(''));
  t.ok(checked > 3000);
});
