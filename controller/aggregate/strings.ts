// Strings kept for the whole run (the keys of the filesystem table) as their own flat copies.
// A string decoded from a frame is often a view into a bigger string (msgpackr decodes a
// frame's strings at once and slices them out), and a key made by joining strings is a rope:
// kept as they are, each key would keep its frame's other strings alive too.

/** Why: a copy of `s` that holds nothing but its own characters (any string, lone surrogates too). */
export function ownString(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}
