// Types of assets-build.mjs (plain JavaScript, for controller/build.mjs).
import type { Plugin } from 'esbuild';

export declare const ASSETS_MODULE: string;
export declare function buildReportAssets(esbuild: { buildSync: typeof import('esbuild').buildSync }): { js: string; css: string };
export declare function reportAssetsPlugin(esbuild: { buildSync: typeof import('esbuild').buildSync }): Plugin;
