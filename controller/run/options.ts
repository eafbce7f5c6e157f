// What the CLI hands to run(): everything already parsed, nothing read from argv here.
export interface RunOptions {
  /** the command and its arguments, verbatim */
  command: string[];
  /** where receipt.json goes (relative paths are taken from the current directory) */
  output: string;
  captureArgv: boolean;
  /** take the digests of the files the tree wrote when the run has ended (--no-digests: false) */
  digests: boolean;
  /** no glasshouse messages on stderr (the command's own output is never suppressed) */
  quiet: boolean;
  /** --capture-output: relay and hash stdout/stderr even when they are a terminal */
  captureOutput: boolean;
  /** --strict: refuse to run the command when it cannot be traced */
  strict: boolean;
  /** --summary: print the receipt's summary on stderr once it is written */
  summary: boolean;
  /** helper path override (--helper / GLASSHOUSE_HELPER), null for the package's own build */
  helperPath: string | null;
  /** --record FILE: where the run's recording goes (controller/replay/FORMAT.md), null for none */
  record: string | null;
  /**
   * --wait-all: after the root exits, follow on until every process of the tree has exited
   * (run/wait-all.ts), then write the receipt
   */
  waitAll: boolean;
  /** --wait-timeout SECONDS (implies waitAll): stop waiting this long after the root exited; null: no limit */
  waitTimeout: number | null;
  /** `glasshouse run --guest`: prepare the guest and run under glasshouse-init (controller/guest) */
  guest: boolean;
  /** --policy FILE: checked against the receipt once it is written (evidence/policy.ts), null for none */
  policy: string | null;
  /** --policy-exit: violations make the exit 1 (the command's own status when that is not 0) */
  policyExit: boolean;
  /**
   * --materials DIR: hash the regular files under dir before the command starts and write them
   * to output (default <receipt>.materials.json) once the receipt is written; absent or null: none
   */
  materials?: { dir: string; output: string } | null;
  /** environment for the debug switches (default process.env) */
  env?: NodeJS.ProcessEnv;
}
