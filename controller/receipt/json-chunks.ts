// JSON.stringify(value, null, 2) as a sequence of chunks instead of one string: the same bytes
// for the same plain data (objects, arrays, strings, numbers, booleans, null), so that a receipt
// of any size is written without ever being one string (V8 strings end near 512 MiB). A list
// may also be any other Iterable (written as a JSON array, produced as it is read).
//
// One exception: indentation stops growing at INDENT_LEVELS levels of nesting. Members nested
// deeper are indented as those at that level (their lines and brackets start at the same
// column). JSON whitespace is insignificant, so the value is the same; without the cap a
// process_tree nested thousands deep (a hostile fork chain) makes a file that grows with the
// square of its depth: gigabytes at 10,000. Anything shallower is JSON.stringify's, byte for byte.

/** Chunk size in UTF-16 code units: 256 Ki, a 256 KiB to 768 KiB write. */
export const JSON_CHUNK_CHARS = 1 << 18;

/**
 * Nesting levels indented in full (2 spaces each). A receipt reaches it only in process_tree,
 * with a process 14 or more levels below the root (the root's fields are at level 2, each
 * generation 2 deeper, the argv of an exec 3 below a process's fields): builds and test suites
 * stay under, so their receipts are JSON.stringify's; a chain made to be deep costs 64 spaces a line.
 */
export const INDENT_LEVELS = 32;
const MAX_PAD = 2 * INDENT_LEVELS;

/** List members written by one JSON.stringify call at most (it is fastest on a few hundred). */
const RUN = 256;

// pad: the indentation of the container's own line (and closing bracket); inner: its members'
type Container =
  | { list: Iterator<unknown>; pad: string; inner: string; any: boolean }
  | { list: null; object: Record<string, unknown>; keys: string[]; next: number; pad: string; inner: string; any: boolean };

/** The indentation of the members of a container indented by `pad`: 2 more, up to the cap. */
const innerOf = (pad: string): string => (pad.length < MAX_PAD ? pad + '  ' : pad);

/** Why: the streaming twin of JSON.stringify(value, null, 2); chunks of about `chunkChars`. */
export function* jsonChunks(value: unknown, chunkChars: number = JSON_CHUNK_CHARS): Generator<string, void, undefined> {
  if (!isWritten(value)) return; // JSON.stringify gives undefined: no text at all
  const stack: Container[] = [];
  let out = '';
  // a value in its place: a leaf or a small record at once, else opened and its members queued
  const open = (v: unknown, pad: string): void => {
    if (typeof v !== 'object' || v === null) out += JSON.stringify(v);
    // whole, when its lines (at most 2 levels below it) stay within the cap
    else if (pad.length + 4 <= MAX_PAD && isFlat(v)) out += indented(JSON.stringify(v, null, 2), pad);
    else if (Symbol.iterator in v) {
      out += '[';
      stack.push({ list: (v as Iterable<unknown>)[Symbol.iterator](), pad, inner: innerOf(pad), any: false });
    } else {
      out += '{';
      stack.push({ list: null, object: v as Record<string, unknown>, keys: Object.keys(v), next: 0, pad, inner: innerOf(pad), any: false });
    }
  };
  try {
    open(value, '');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const inner = top.inner;
      if (top.list !== null) {
        // the next run of leaves and small records, in one JSON.stringify; then a member that
        // needs opening, or the end of the list. Near the cap, small records are opened one by
        // one (their own members would pass it) and the run holds leaves only.
        const leavesOnly = top.pad.length + 6 > MAX_PAD;
        const run: unknown[] = [];
        let deep: object | null = null;
        let done = false;
        while (run.length < RUN) {
          const step = top.list.next();
          if (step.done === true) {
            done = true;
            break;
          }
          const v = step.value;
          if (typeof v === 'object' && v !== null && (leavesOnly || !isFlat(v))) {
            deep = v;
            break;
          }
          run.push(v); // undefined and functions too: JSON.stringify writes null for them here
        }
        if (run.length > 0 && inner.length > top.pad.length) {
          // "[\n  a,\n  b\n]": its member lines, moved to this list's depth
          const text = JSON.stringify(run, null, 2);
          out += `${top.any ? ',' : ''}\n${top.pad}${indented(text.slice(2, -2), top.pad)}`;
          top.any = true;
        } else if (run.length > 0) {
          // at the cap: leaves, each on a line indented as the list itself
          out += `${top.any ? ',' : ''}\n${inner}${run.map(leafText).join(`,\n${inner}`)}`;
          top.any = true;
        }
        if (deep !== null) {
          out += `${top.any ? ',' : ''}\n${inner}`;
          top.any = true;
          open(deep, inner);
        } else if (done) {
          out += top.any ? `\n${top.pad}]` : ']';
          stack.pop();
        }
      } else {
        let member = false;
        while (top.next < top.keys.length && !member) {
          const key = top.keys[top.next++]!;
          const v = top.object[key];
          if (!isWritten(v)) continue; // as JSON.stringify leaves the key out
          out += `${top.any ? ',' : ''}\n${inner}${JSON.stringify(key)}: `;
          top.any = true;
          member = true;
          open(v, inner);
        }
        if (!member) {
          out += top.any ? `\n${top.pad}}` : '}';
          stack.pop();
        }
      }
      if (out.length >= chunkChars) {
        yield out;
        out = '';
      }
    }
    if (out.length > 0) yield out;
  } finally {
    // stopped early (an error, or the reader gave up): lists produced on demand may clean up
    for (const c of stack) if (c.list !== null) c.list.return?.();
  }
}

/** A leaf as JSON.stringify writes it in an array (undefined, a function or a symbol: null). */
function leafText(v: unknown): string {
  return JSON.stringify(v) ?? 'null';
}

/** Whether JSON.stringify writes this value at all (in an object: keeps the key). */
function isWritten(v: unknown): boolean {
  return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
}

/**
 * A value JSON.stringify can write whole without the text growing past its own data: an array
 * of leaves, or a plain record whose members are leaves, arrays of leaves or records of leaves
 * (a path entry with its digest, an exec). Lists produced on demand and anything nested deeper
 * are written member by member.
 */
function isFlat(v: object): boolean {
  if (Array.isArray(v)) return isLeafArray(v);
  if (Symbol.iterator in v) return false;
  for (const key in v) {
    const member = (v as Record<string, unknown>)[key];
    if (typeof member !== 'object' || member === null) continue;
    if (!(Array.isArray(member) ? isLeafArray(member) : isLeafRecord(member))) return false;
  }
  return true;
}

function isLeafRecord(o: object): boolean {
  if (Symbol.iterator in o) return false;
  for (const key in o) {
    const member = (o as Record<string, unknown>)[key];
    if (typeof member === 'object' && member !== null) return false;
  }
  return true;
}

function isLeafArray(a: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (typeof a[i] === 'object' && a[i] !== null) return false;
  return true;
}

/** JSON.stringify's text of a member, moved to the depth it is written at. */
function indented(text: string, pad: string): string {
  return pad === '' || !text.includes('\n') ? text : text.replaceAll('\n', `\n${pad}`);
}
