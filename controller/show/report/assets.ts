// The report page's script and style, as strings that renderHtml inlines. From the TypeScript
// sources (tests, development) they are built here with esbuild, once per process (esbuild is a
// devDependency, present wherever the sources run). The bundle of the installed tool never
// runs this file: controller/build.mjs puts a module holding the strings, built once, in its
// place (reportAssetsPlugin), so that the installed tool needs only Node.
import * as esbuild from 'esbuild';
import { buildReportAssets } from './assets-build.mjs';

export interface ReportAssets {
  js: string;
  css: string;
}

let built: ReportAssets | undefined;

export function reportAssets(): ReportAssets {
  built ??= buildReportAssets(esbuild);
  return built;
}
