// Strings of a receipt for people to read: the traced command chose every one of them (argv,
// paths, host names), so none may reach a terminal or a page as anything but plain text, and
// the boundaries between arguments must never be in doubt. One rule for the summary and the
// report: what a shell (bash $'...') would need to get the very same string back.

const SAFE_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;
// controls, and the invisible characters that could make an argument read as another one
// (zero-width, bidi overrides, line and paragraph separators, BOM)
export const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

/**
 * One argument as a shell would need it, so that the boundaries between arguments are never in
 * doubt: as is when plain, '...' when it has spaces or specials, $'...' with escapes when it has
 * a quote or anything unprintable.
 */
export function quoteArg(s: string): string {
  if (SAFE_ARG.test(s)) return s;
  if (!UNPRINTABLE.test(s) && !s.includes("'")) return `'${s}'`;
  let out = "$'";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\' || ch === "'") out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (UNPRINTABLE.test(ch)) out += c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

/**
 * A path or a name as is when it holds nothing unprintable (spaces are fine: it is not an
 * argument list), else in $'...' with escapes, as quoteArg does.
 */
export function printable(s: string): string {
  return UNPRINTABLE.test(s) ? quoteArg(s) : s;
}
