// The receipt checked against the zod schema without a second copy of it: everything but the
// long lists in one parse, then each element of those lists on its own, as the writer reaches
// it, against the element schemas of the Receipt schema itself. A failure names the field
// (`filesystem.failed.123.errno`), as one parse of the whole receipt would.
import * as z from 'zod';
import { Receipt, ReceiptParser, SCHEMA_VERSION, type LazyReceipt } from '../schema/receipt.js';
import { InvalidReceiptError } from './errors.js';

const isList = (v: unknown): v is Iterable<unknown> => typeof v === 'object' && v !== null && Symbol.iterator in v;
const List = z.custom<Iterable<unknown>>(isList, 'Invalid input: expected a list');

const FilesystemShape = Receipt.shape.filesystem.shape;
/**
 * The Receipt schema with its long lists only checked to be lists, and process_tree walked
 * without recursion (a hostile fork chain must not overflow the stack before the receipt is written).
 */
const Head = ReceiptParser.extend({
  processes: List,
  filesystem: Receipt.shape.filesystem.extend({ reads: List, writes: List, failed: List, changes: List, outputs: List, removed: List }),
  network: List,
});
const Element = {
  processes: Receipt.shape.processes.element,
  reads: FilesystemShape.reads.element,
  writes: FilesystemShape.writes.element,
  failed: FilesystemShape.failed.element,
  changes: FilesystemShape.changes.element,
  outputs: FilesystemShape.outputs.element,
  removed: FilesystemShape.removed.element,
  network: Receipt.shape.network.element,
};

/**
 * Why: zod, the single source of validation, over a receipt of any size. Checks all but the
 * lists now (throws InvalidReceiptError); returns the receipt with each list checking its
 * elements as it is read (the first bad one throws InvalidReceiptError).
 */
export function checkedReceipt(receipt: LazyReceipt): LazyReceipt {
  const head = Head.safeParse(receipt);
  if (!head.success) throw invalid(head.error, []);
  const { filesystem } = receipt;
  return {
    ...receipt,
    processes: checked(receipt.processes, Element.processes, 'processes'),
    filesystem: {
      ...filesystem,
      reads: checked(filesystem.reads, Element.reads, 'filesystem.reads'),
      writes: checked(filesystem.writes, Element.writes, 'filesystem.writes'),
      failed: checked(filesystem.failed, Element.failed, 'filesystem.failed'),
      changes: checked(filesystem.changes, Element.changes, 'filesystem.changes'),
      outputs: checked(filesystem.outputs, Element.outputs, 'filesystem.outputs'),
      removed: checked(filesystem.removed, Element.removed, 'filesystem.removed'),
    },
    network: checked(receipt.network, Element.network, 'network'),
  };
}

function checked<T>(list: Iterable<T>, element: z.ZodType, where: string): Iterable<T> {
  return {
    *[Symbol.iterator]() {
      let index = 0;
      for (const item of list) {
        const result = element.safeParse(item);
        if (!result.success) throw invalid(result.error, [where, index]);
        index++;
        yield item;
      }
    },
  };
}

function invalid(error: z.ZodError, at: (string | number)[]): InvalidReceiptError {
  const issue = error.issues[0];
  const where = [...at, ...(issue?.path ?? [])].map(String).join('.');
  return new InvalidReceiptError(`the receipt does not match schema ${SCHEMA_VERSION} at ${where || '(root)'}: ${issue?.message ?? ''}`, { cause: error });
}
