// `glasshouse doctor`: tells a user what is missing for traced runs and the exact command that
// fixes it. Exit status 0 when a traced run will work, 1 otherwise.
import { gatePathFor, resolveHelperPath } from '../collector/helper-path.js';
import { checkBtf, checkFile, checkKernel, checkLoad, checkLockdown, checkPrivilege, type Check } from './checks.js';

export function runChecks(helperOverride: string | null, env: NodeJS.ProcessEnv = process.env): Check[] {
  const helper = resolveHelperPath(helperOverride, env);
  const checks = [checkKernel(), checkBtf(), checkFile('helper', helper), checkFile('gate', gatePathFor(helper)), checkPrivilege(helper)];
  // only try loading when nothing above already explains why it cannot work
  if (checks.every((c) => c.ok)) checks.push(checkLoad(helper));
  checks.push(checkLockdown());
  return checks;
}

export function formatChecks(checks: readonly Check[]): string {
  const lines = checks.map((c) => {
    const mark = c.ok ? 'ok  ' : c.required ? 'FAIL' : 'warn';
    return `${mark}  ${c.name}: ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`;
  });
  const failed = checks.filter((c) => c.required && !c.ok);
  lines.push(failed.length === 0 ? 'glasshouse can trace commands here.' : `${failed.length} problem(s): gh-run will still run commands, untraced.`);
  return lines.join('\n') + '\n';
}

/** Print the report; resolves to the exit status. */
export function doctor(helperOverride: string | null): number {
  const checks = runChecks(helperOverride);
  process.stdout.write(formatChecks(checks));
  return checks.every((c) => c.ok || !c.required) ? 0 : 1;
}
