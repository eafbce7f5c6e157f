// Why the collector could not run (so the command runs untraced) or could not follow.
export type UnavailableKind = 'missing' | 'permission' | 'btf' | 'protocol' | 'other';

export class HelperUnavailableError extends Error {
  override name = 'HelperUnavailableError';
  /** one human-readable line, goes into collector.reason */
  readonly reason: string;
  readonly kind: UnavailableKind;
  constructor(reason: string, kind: UnavailableKind = classifyReason(reason), options?: { cause?: unknown }) {
    super(`collector unavailable: ${reason}`, options);
    this.reason = reason;
    this.kind = kind;
  }
}

export class HelperFollowError extends Error {
  override name = 'HelperFollowError';
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`the helper could not follow the command: ${reason}`, options);
    this.reason = reason;
  }
}

/** Guess the kind of a helper failure from its message, to pick the fix hint. */
export function classifyReason(reason: string): UnavailableKind {
  if (/\bBTF\b|vmlinux/i.test(reason)) return 'btf';
  if (/EPERM|EACCES|permission|not permitted|CAP_BPF|CAP_PERFMON|capabilit/i.test(reason)) return 'permission';
  return 'other';
}
