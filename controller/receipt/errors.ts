// Errors of producing receipt.json: an invalid receipt (a bug) or a failed write.
export class InvalidReceiptError extends Error {
  override name = 'InvalidReceiptError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class ReceiptWriteError extends Error {
  override name = 'ReceiptWriteError';
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown; what?: string }) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause ?? 'unknown error');
    super(`cannot write ${options?.what ?? 'the receipt'} to ${path}: ${why}`, options);
    this.path = path;
  }
}
