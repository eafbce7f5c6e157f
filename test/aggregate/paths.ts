import t from 'tap';
import { absolutePath, realProcPath } from '../../controller/aggregate/paths.js';

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
