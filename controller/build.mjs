// Bundles the controller with esbuild: one ESM file per entry point (dist/gh-run.js,
// dist/glasshouse.js) holding what every run needs, and chunks (dist/chunks/) for what only some
// commands load, at their dynamic import() (replay, doctor, guest mode, recording). Node then
// reads a few files instead of ~300 modules, which is most of a short run's start. Tests run
// from the TypeScript sources; type checking is `tsc --noEmit` (npm run build does both).
// The HTML report's page script and style are built here once and inlined in the bundle as
// strings (reportAssetsPlugin): the installed tool never needs esbuild.
import * as esbuild from 'esbuild';
import { reportAssetsPlugin } from './show/report/assets-build.mjs';
import { chmodSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await esbuild.build({
  entryPoints: { 'gh-run': 'controller/cli/gh-run.ts', glasshouse: 'controller/cli/glasshouse.ts' },
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // execa's cross-spawn is CommonJS and requires Node's built-ins, which an ESM bundle must
  // provide itself
  banner: { js: "import { createRequire as glasshouseRequire } from 'node:module'; const require = glasshouseRequire(import.meta.url);" },
  // smaller is faster to compile (~10 ms a run); `node --enable-source-maps` maps a stack back
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [reportAssetsPlugin(esbuild)],
});
chmodSync('dist/gh-run.js', 0o755);
chmodSync('dist/glasshouse.js', 0o755);
