// The value of --wait-timeout, read the same way by both parsers (args.ts with yargs, and
// plain-run.ts without it): decimal seconds, fractions allowed, more than zero. No exponents,
// hex, signs or spaces: what a person types, and nothing Number() alone would let through.

const SECONDS = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

/** Why: one reading of --wait-timeout for both parsers; the seconds, or null when not valid. */
export function parseWaitTimeout(value: string): number | null {
  if (!SECONDS.test(value)) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}
