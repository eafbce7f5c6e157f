// What a change frame's syscall does to names or metadata: one list for the frame schema, the
// receipt schema and the frame guard (which must not load zod, so this module does not either).
export const CHANGE_OPS = ['delete', 'rmdir', 'mkdir', 'mknod', 'rename', 'link', 'symlink', 'chmod', 'chown', 'truncate'] as const;
export type ChangeOp = (typeof CHANGE_OPS)[number];
