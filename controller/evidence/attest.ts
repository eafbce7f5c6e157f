// `glasshouse attest RECEIPT`: the receipt as an in-toto Statement v1 (statement.ts), written as
// it is, or with --key signed into a DSSE envelope (dsse.ts). Exit 0, or 2 with one line on
// stderr when an input cannot be read or the output cannot be written.
import { readFileSync } from 'node:fs';
import { DestinationError, openDestination } from '../receipt/destination.js';
import { ReceiptWriteError } from '../receipt/errors.js';
import { writeTo } from '../receipt/write-receipt.js';
import { readReceiptFile, ShowInputError } from '../show/read.js';
import { IN_TOTO_PAYLOAD_TYPE, KeyError, loadPrivateKey, signEnvelope } from './dsse.js';
import { MaterialsError, readMaterialsFile, takeMaterials, type Materials } from './materials.js';
import { statementOf, statementText, type MaterialsTaken } from './statement.js';

export interface AttestOptions {
  receipt: string;
  /** PEM private key to sign with; null: the statement unsigned */
  key: string | null;
  output: string;
  /** --materials DIR: digests taken now */
  materialsDir: string | null;
  /** --materials-file F: digests gh-run --materials took before the run */
  materialsFile: string | null;
}

export const ATTEST_INPUT_ERROR = 2;

interface Io {
  stderr: { write(s: string): unknown };
}

export async function attest(options: AttestOptions, io: Io = { stderr: process.stderr }): Promise<number> {
  try {
    const { receipt } = readReceiptFile(options.receipt);
    const signer = options.key === null ? null : loadPrivateKey(readKey(options.key), options.key);
    // checked before the work: a regular file atomically, /dev/stdout or /dev/fd/N in place
    const destination = openDestination(options.output, 'the attestation');
    let materials: { taken: MaterialsTaken; materials: Materials } | null = null;
    if (options.materialsFile !== null) materials = { taken: 'before_run', materials: readMaterialsFile(options.materialsFile) };
    else if (options.materialsDir !== null) materials = { taken: 'at_attest', materials: await takeMaterials(options.materialsDir) };
    const statement = statementOf(receipt, materials);
    if (statement.subject.length === 0) {
      // in-toto v1 requires at least one subject: a statement about nothing is refused, not written
      throw new ShowInputError(
        `${options.receipt}: no output of the run has a digest, so there is nothing to attest` +
          (receipt.filesystem.digests === 'off' ? ' (digests were off: run without --no-digests)' : ''),
      );
    }
    const text = statementText(statement);
    const out = signer === null ? text : JSON.stringify(signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(text, 'utf8'), signer), null, 2);
    await writeTo(destination, [out, '\n'], 'the attestation');
    if (destination.kind === 'file') io.stderr.write(`glasshouse: attestation: ${destination.path}\n`);
    return 0;
  } catch (error) {
    if (
      error instanceof ShowInputError ||
      error instanceof KeyError ||
      error instanceof MaterialsError ||
      error instanceof DestinationError ||
      error instanceof ReceiptWriteError
    ) {
      io.stderr.write(`glasshouse: attest: ${error.message}\n`);
      return ATTEST_INPUT_ERROR;
    }
    throw error;
  }
}

/** A key file's bytes; a file that cannot be read is a KeyError (exit 2). */
export function readKey(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new KeyError(`${file}: cannot be read (${(error as { code?: string }).code ?? (error as Error).message})`);
  }
}
