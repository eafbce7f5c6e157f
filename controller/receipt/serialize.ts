// The one way a receipt becomes text: checked against the schema first (a bug becomes an
// error, never a bad file), then 2-space JSON with a final newline: JSON.stringify(receipt,
// null, 2) + '\n', byte for byte but for indentation capped at INDENT_LEVELS (json-chunks.ts:
// a deep process tree must not grow the file with the square of its depth), made as a stream
// of chunks so that no size is too big.
import type { LazyReceipt } from '../schema/receipt.js';
import { jsonChunks } from './json-chunks.js';
import { checkedReceipt } from './validate.js';

/**
 * Why: the text of a receipt of any size, chunk by chunk. Everything but the long lists is
 * checked now (InvalidReceiptError before the first chunk); each list element as it is reached.
 */
export function receiptChunks(receipt: LazyReceipt): Iterable<string> {
  const checked = checkedReceipt(receipt);
  return (function* () {
    yield* jsonChunks(checked);
    yield '\n';
  })();
}

/** Why: the same text as one string, for receipts known to be small (tests, tools). */
export function serializeReceipt(receipt: LazyReceipt): string {
  return [...receiptChunks(receipt)].join('');
}
