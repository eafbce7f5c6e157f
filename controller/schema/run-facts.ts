// What the run itself observed, besides the helper's frames: the second input of the
// aggregator. Plain JSON, so a recorded run (frames + facts) rebuilds the same receipt.
import * as z from 'zod';
import { Artifact, CollectorStatus, GuestMount } from './receipt.js';

export const RunFacts = z.object({
  /** the controller that ran it (environment.glasshouse_version): a replay shows who recorded */
  glasshouse_version: z.string(),
  /** argv as the user gave it */
  command: z.array(z.string()).min(1),
  guest: z.boolean(),
  /** what glasshouse-init mounted (guest mode); absent in recordings made before guest mode */
  guest_mounts: z.array(GuestMount).optional(),
  /** wall clock at start and end, RFC 3339 with milliseconds */
  started_at: z.string(),
  finished_at: z.string(),
  /** CLOCK_MONOTONIC ns (process.hrtime.bigint()) at start (t0) and end */
  mono_start_ns: z.number(),
  mono_end_ns: z.number(),
  /** pid of the command's root process (the gate), null when nothing could be spawned */
  root_pid: z.number().int().nullable(),
  /** pid of the controller, the root's parent */
  controller_pid: z.number().int(),
  /** the root's end as Node saw it */
  exit: z.object({ code: z.number().int().nullable(), signal: z.string().nullable() }),
  /** errno name when the command could not be executed (gate report or spawn error) */
  exec_error: z.string().nullable(),
  /** outcome errors noticed by the run, in order (e.g. forwarded signals) */
  errors: z.array(z.string()),
  stdout: Artifact,
  stderr: Artifact,
  environment: z.object({
    hostname: z.string(),
    kernel: z.string(),
    arch: z.string(),
    uid: z.number().int(),
    gid: z.number().int(),
    cwd: z.string(),
  }),
  /** realpath of the command resolved through PATH, null when not found */
  command_realpath: z.string().nullable(),
  /** collector status from the helper's lifecycle (start, follow, stop); frames may degrade it further */
  collector: z.object({ status: CollectorStatus, reason: z.string().nullable() }),
  /**
   * sha256 and size of the paths of filesystem.writes and filesystem.outputs that were regular
   * files once the run had ended (run/digests.ts), by path; a path not listed has no digest.
   * "off": none were taken (--no-digests). Absent in recordings made before digests: "off".
   */
  digests: z
    .object({
      algorithm: z.enum(['sha256', 'off']),
      files: z.array(z.object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().nonnegative() })),
    })
    .optional(),
});
export type RunFacts = z.infer<typeof RunFacts>;
