// The package root (where package.json, helper/ and receipt.schema.json live), found from this
// module's own URL so it works from controller/ (ts-node, tests) and from the bundle in dist/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function packageRoot(): string {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isOurs(manifest)) return (cached = dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // not found (unusual install): this file is controller/package-root.ts, or in dist/ or dist/chunks/
  const here = dirname(fileURLToPath(import.meta.url));
  return (cached = here.endsWith('/chunks') ? dirname(dirname(here)) : dirname(here));
}

function isOurs(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'glasshouse';
  } catch {
    return false;
  }
}
