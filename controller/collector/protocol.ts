// The version of the helper's wire protocol (helper/PROTOCOL.md) this controller speaks: the
// hello frame must say it, and recordings note it. Apart from the zod schemas (schema/frames.ts)
// so a run can check a hello before zod is loaded.
export const PROTOCOL_VERSION = 4;
