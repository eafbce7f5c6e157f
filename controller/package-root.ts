// The package root (where package.json, helper/ and receipt.schema.json live), found from this
// module's own URL so it works from controller/ (ts-node) and from dist/controller/ (built).
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
  // not found (unusual install): controller/schema -> root, dist/controller/schema -> root
  const here = dirname(fileURLToPath(import.meta.url));
  const guess = join(here, '..', '..');
  return (cached = guess.endsWith('/dist') ? dirname(guess) : guess);
}

function isOurs(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'glasshouse';
  } catch {
    return false;
  }
}
