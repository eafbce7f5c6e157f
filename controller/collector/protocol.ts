// The version of the helper's wire protocol (helper/PROTOCOL.md) this controller speaks: the
// hello frame must say it, and recordings note it. Apart from the zod schemas (schema/frames.ts)
// so a run can check a hello before zod is loaded.
export const PROTOCOL_VERSION = 5;

/**
 * The oldest protocol whose streams this controller still reads: a recording of any protocol
 * from this one to PROTOCOL_VERSION replays (what each added: controller/replay/FORMAT.md).
 * A live helper must speak PROTOCOL_VERSION itself.
 */
export const OLDEST_PROTOCOL_VERSION = 1;

/** Why: replay refuses a recording made by a newer controller (frames it cannot know). */
export function isReadableProtocol(version: number): boolean {
  return Number.isInteger(version) && version >= OLDEST_PROTOCOL_VERSION && version <= PROTOCOL_VERSION;
}
