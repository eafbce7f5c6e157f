// The one way a receipt becomes text: validated against the schema first (a bug becomes an
// error, never a bad file), then 2-space JSON with a final newline.
import { Receipt } from '../schema/receipt.js';
import { InvalidReceiptError } from './errors.js';

export function serializeReceipt(receipt: Receipt): string {
  const result = Receipt.safeParse(receipt);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? issue.path.map(String).join('.') : '';
    throw new InvalidReceiptError(`the receipt does not match schema 0.3 at ${where || '(root)'}: ${issue?.message ?? ''}`, {
      cause: result.error,
    });
  }
  return JSON.stringify(receipt, null, 2) + '\n';
}
