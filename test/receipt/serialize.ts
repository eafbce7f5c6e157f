import t from 'tap';
import { InvalidReceiptError } from '../../controller/receipt/errors.js';
import { serializeReceipt } from '../../controller/receipt/serialize.js';
import type { Receipt } from '../../controller/schema/receipt.js';
import { end, exec, exit, hello, receiptOf } from '../helpers/events.js';

t.test('2-space JSON with a final newline', async (t) => {
  const r = receiptOf([hello(), exec(), exit(), end()]);
  const text = serializeReceipt(r);
  t.equal(text, JSON.stringify(r, null, 2) + '\n');
});

t.test('an invalid receipt is an error naming the field, never a file', async (t) => {
  const r = receiptOf([hello(), exec(), exit(), end()]);
  const broken = { ...r, exit_code: 1.5 } as Receipt;
  t.throws(() => serializeReceipt(broken), InvalidReceiptError);
  t.throws(() => serializeReceipt(broken), /at exit_code/);
});
