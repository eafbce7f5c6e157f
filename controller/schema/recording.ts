// The recording file (controller/replay/FORMAT.md): fixed header and footer, and the zod
// schemas of the controller's own two frames. Shared by the writer (run) and the reader (replay).
import * as z from 'zod';
import { RunFacts } from './run-facts.js';

/** "GHREC\0", then the format version as a big-endian u16: 8 bytes in all. */
export const RECORDING_MAGIC = Buffer.from('GHREC\0', 'latin1');
export const RECORDING_FORMAT = 1;
export const HEADER_BYTES = RECORDING_MAGIC.length + 2;

/** Footer: u64 offset of the run frame, sha256 of every byte before the digest, "GHRECEND". */
export const END_MARKER = Buffer.from('GHRECEND', 'latin1');
export const FOOTER_BYTES = 8 + 32 + END_MARKER.length;

/** The controller's frames may be larger than the helper's (argv of any size). */
export const MAX_CONTROL_FRAME_BYTES = 64 * 1024 * 1024;

/** What the run knows before the command starts: enough for a partial receipt. */
export const StartFacts = RunFacts.pick({
  glasshouse_version: true,
  command: true,
  guest: true,
  started_at: true,
  mono_start_ns: true,
  controller_pid: true,
  environment: true,
  command_realpath: true,
});
export type StartFacts = z.infer<typeof StartFacts>;

/** First frame, right after the header. */
export const RecordingFrame = z.object({
  t: z.literal('recording'),
  /** helper wire protocol of the frames that follow (helper/PROTOCOL.md) */
  helper_protocol: z.number().int(),
  start: StartFacts,
});
export type RecordingFrame = z.infer<typeof RecordingFrame>;

/** Last frame, before the footer: everything else the receipt needs. */
export const RunFrame = z.object({
  t: z.literal('run'),
  facts: RunFacts,
  helper: z.object({
    /** bytes of helper stdout recorded between the recording frame and this one */
    bytes: z.number().int().nonnegative(),
    /** whether the live run aggregated them (false when the helper never got going) */
    used: z.boolean(),
  }),
});
export type RunFrame = z.infer<typeof RunFrame>;
