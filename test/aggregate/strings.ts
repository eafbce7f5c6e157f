import t from 'tap';
import { ownString } from '../../controller/aggregate/strings.js';

t.test('ownString: the same characters, whatever they are', async (t) => {
  for (const s of ['', 'a', '/proc/self/fd/3', 'ü 日本 😀', '\ud800', 'x\udfffy', '\u0000\n"\\', 'x'.repeat(10000)]) t.equal(ownString(s), s);
  const big = 'prefix-'.repeat(1000);
  t.equal(ownString(big.slice(7, 60)), big.slice(7, 60), 'a slice of a bigger string');
});
