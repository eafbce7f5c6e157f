// Materials: the sha256 and size of every regular file under a directory, the inputs of a run.
// gh-run --materials takes them before the command starts (the inputs as they were) and writes
// them next to the receipt; glasshouse attest puts them in the statement's predicate. Symlinks
// are not followed and not listed (a link's target may be anywhere, and is a file of its own
// under the root if it is an input); nor are devices, FIFOs and sockets (no content to hash).
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** A directory or materials file that cannot be read: a usage problem (exit 2). */
export class MaterialsError extends Error {
  override name = 'MaterialsError';
}

export const MaterialFile = z.object({
  path: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});
/** What `<receipt>.materials.json` holds: the root (absolute) and its files, paths relative to it, sorted. */
export const Materials = z.object({ root: z.string(), files: z.array(MaterialFile) });
export type Materials = z.infer<typeof Materials>;

const errnoOf = (error: unknown): string => (error as { code?: string }).code ?? (error as Error).message;

/** The regular files under `dir`, walked without recursion (a deep tree is no stack overflow). */
export async function takeMaterials(dir: string): Promise<Materials> {
  const root = resolve(dir);
  let top: Stats;
  try {
    top = lstatSync(root);
  } catch (error) {
    throw new MaterialsError(`--materials ${dir}: cannot be read (${errnoOf(error)})`);
  }
  if (!top.isDirectory()) throw new MaterialsError(`--materials ${dir}: not a directory`);
  const files: Materials['files'] = [];
  const pending = [''];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    let names: string[];
    try {
      names = readdirSync(join(root, rel));
    } catch (error) {
      throw new MaterialsError(`--materials ${dir}: cannot list ${rel || '.'} (${errnoOf(error)})`);
    }
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      let stats: Stats;
      try {
        stats = lstatSync(join(root, path));
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') continue; // removed while walked: not there to be an input
        throw new MaterialsError(`--materials ${dir}: cannot read ${path} (${errnoOf(error)})`);
      }
      if (stats.isDirectory()) pending.push(path);
      else if (stats.isFile()) files.push({ path, ...(await hashFile(join(root, path), dir, path)) });
    }
  }
  // byte order of the UTF-16 code units: the same for everyone, unlike a locale's
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { root, files };
}

/** sha256 and size of a file, streamed (an input may be larger than memory). */
function hashFile(file: string, dir: string, rel: string): Promise<{ sha256: string; size: number }> {
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    let size = 0;
    createReadStream(file)
      .on('data', (chunk) => {
        hash.update(chunk);
        size += chunk.length;
      })
      .on('error', (error) => fail(new MaterialsError(`--materials ${dir}: cannot read ${rel} (${errnoOf(error)})`)))
      .on('end', () => done({ sha256: hash.digest('hex'), size }));
  });
}

/** A materials file gh-run wrote, checked. */
export function readMaterialsFile(file: string): Materials {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new MaterialsError(`--materials-file ${file}: cannot be read as JSON (${errnoOf(error)})`);
  }
  const parsed = Materials.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MaterialsError(`--materials-file ${file}: not a materials file at ${(issue?.path ?? []).map(String).join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
