// The kinds of difference `glasshouse diff --fail-on` takes, apart from diff.ts so that the
// command line can check them without loading the comparison (a chunk of its own, loaded when used).
export const FAIL_KINDS = [
  'new-exec',
  'gone-exec',
  'new-write',
  'new-output',
  'changed-output',
  'new-removal',
  'new-change',
  'new-read',
  'new-failed',
  'new-network',
  'new-dns',
  'new-syscall',
  'exit',
  'any',
] as const;
export type FailKind = (typeof FAIL_KINDS)[number];
