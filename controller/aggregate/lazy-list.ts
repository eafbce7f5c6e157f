// A receipt list produced as it is read: the table's entries sorted once (an array of
// references, not of copies), each turned into its receipt entry only when reached, so that
// writing a receipt never holds a second copy of a long list.

/** Why: the lists of LazyReceipt. Iterable any number of times; sorts on the first. */
export class LazyList<S, T> implements Iterable<T> {
  private sorted: S[] | null = null;

  constructor(
    private readonly entries: () => S[],
    /** undefined: Array.prototype.sort's own order (strings by UTF-16 code unit, the fastest) */
    private readonly order: ((a: S, b: S) => number) | undefined,
    private readonly toEntry: (s: S) => T,
  ) {}

  *[Symbol.iterator](): Iterator<T> {
    const sorted = (this.sorted ??= this.entries().sort(this.order));
    for (let i = 0; i < sorted.length; i++) yield this.toEntry(sorted[i]!);
  }
}
