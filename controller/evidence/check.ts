// `glasshouse check --policy POLICY RECEIPT`: every violation of the policy with its evidence,
// exit 1 when there is any, 0 when none, 2 when the receipt or the policy cannot be used (never
// 1: a broken input must not read as a verdict). Also what gh-run --policy prints on stderr.
import { printable, quoteArgv } from '../show/quote.js';
import { readReceiptFile, ShowInputError } from '../show/read.js';
import type { Receipt } from '../schema/receipt.js';
import { checkReceipt, homeOf, PolicyError, readPolicyFile, type CheckResult, type Violation } from './policy.js';
import type { Policy } from './policy-schema.js';

export interface CheckOptions {
  policy: string;
  receipt: string;
  json: boolean;
}

export const CHECK_VIOLATIONS = 1;
export const CHECK_INPUT_ERROR = 2;

interface Io {
  stdout: { write(s: string, done: () => void): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
}

export async function check(options: CheckOptions, io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let result: CheckResult;
  try {
    const policy = readPolicyFile(options.policy, io.env);
    const { receipt } = readReceiptFile(options.receipt);
    result = checkReceipt(receipt, policy, homeOf(io.env));
  } catch (error) {
    if (error instanceof PolicyError || error instanceof ShowInputError) {
      io.stderr.write(`glasshouse: check: ${error.message}\n`);
      return CHECK_INPUT_ERROR;
    }
    throw error;
  }
  const text = options.json ? JSON.stringify(jsonOf(result), null, 2) + '\n' : renderViolations(result);
  // written out before the exit: a pipe takes 64 KiB at once, and process.exit drops the rest
  await new Promise<void>((done) => io.stdout.write(text, () => done()));
  return result.violations.length > 0 ? CHECK_VIOLATIONS : 0;
}

/** --json: the shape the README documents (one object, stable keys). */
export function jsonOf(result: CheckResult): { violations: Violation[]; checks: number; incomplete: string | null } {
  return { violations: result.violations, checks: result.checks, incomplete: result.incomplete };
}

/**
 * The violations for people: every string from the receipt (paths, names, argv) went through
 * printable/quoteArgv, as the command chose them; the patterns too, for a policy may come from
 * anywhere.
 */
export function renderViolations(result: CheckResult): string {
  // said first: a clean result of an untraced run is no evidence of a clean run
  const note = result.incomplete === null ? '' : `warning: the receipt is incomplete (${printable(result.incomplete)}): what was not seen was not checked\n`;
  if (result.violations.length === 0) return `${note}no violations: ${result.checks} checks\n`;
  let out = note;
  for (const v of result.violations) {
    const rule = v.pattern === null ? `${v.key}.allow (matches none)` : `${v.key}.${v.rule} ${printable(JSON.stringify(v.pattern))}`;
    out += `violation: ${rule}: ${printable(v.thing)}${v.detail === null ? '' : ` (${printable(v.detail)})`}\n`;
    if (v.processes.length === 0) out += '  by: no process recorded\n';
    for (const p of v.processes) {
      const argv = p.argv !== null ? quoteArgv(p.argv) : p.exe !== null ? `${printable(p.exe)} (argv not recorded)` : '(not in processes)';
      out += `  by pid ${p.pid}: ${argv}\n`;
    }
  }
  const n = result.violations.length;
  out += `${n} violation${n === 1 ? '' : 's'} in ${result.checks} checks\n`;
  return out;
}

/** gh-run --policy: the receipt just written, checked; the text goes on stderr. */
export function checkRun(receipt: Receipt, policy: Policy, env: NodeJS.ProcessEnv): CheckResult {
  return checkReceipt(receipt, policy, homeOf(env));
}
