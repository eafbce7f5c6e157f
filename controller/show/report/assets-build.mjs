// How the report page's script and style are built: one place for the esbuild options, used by
// assets.ts (running from the TypeScript sources) and by controller/build.mjs (the bundle of the
// installed tool, through reportAssetsPlugin). Plain JavaScript, so that build.mjs can import it.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ASSETS_MODULE = join(HERE, 'assets.ts');

/** The client script (iife, minified, for the browser) and the style, as strings. */
export function buildReportAssets(esbuild) {
  const common = { bundle: true, write: false, minify: true, logLevel: 'silent', legalComments: 'none' };
  const js = esbuild.buildSync({ ...common, entryPoints: [join(HERE, 'client', 'main.ts')], format: 'iife', platform: 'browser', target: 'es2020' });
  const css = esbuild.buildSync({ ...common, entryPoints: [join(HERE, 'client', 'report.css')] });
  return { js: js.outputFiles[0].text.trim(), css: css.outputFiles[0].text.trim() };
}

/**
 * An esbuild plugin that puts, in place of assets.ts, a module holding the built strings: the
 * bundle then needs no esbuild at run time.
 */
export function reportAssetsPlugin(esbuild) {
  return {
    name: 'report-assets',
    setup(build) {
      build.onResolve({ filter: /(^|\/)assets\.(js|ts)$/ }, (args) => {
        const path = resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
        return path === ASSETS_MODULE ? { path, namespace: 'report-assets' } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'report-assets' }, () => {
        const assets = buildReportAssets(esbuild);
        return { contents: `export function reportAssets() { return ${JSON.stringify(assets)}; }`, loader: 'js' };
      });
    },
  };
}
