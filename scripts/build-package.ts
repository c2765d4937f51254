/**
 * Builds one runtime package (run from its directory by its `build` script):
 * the declarations with tsc, and the JavaScript as one ES module per entry
 * point with esbuild.
 *
 * One file per entry point, because Node's ES module loader pays for every
 * file it resolves, reads and links: `@sysmail/smtp-client` built file by file
 * took ~0.05 s longer to import than the same code in one file, as long again
 * as Node's own start, and an application that sends one notification from a
 * short-lived process pays that on every run. Other packages — every
 * `@sysmail/*` one included — stay external imports, so an application that
 * uses two clients shares one copy of `@sysmail/wire` and its error classes.
 *
 * Usage: `tsx ../../scripts/build-package.ts src/index.ts [src/cli.ts …]`
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const entryPoints = process.argv.slice(2);
if (entryPoints.length === 0) throw new Error('usage: build-package.ts ENTRY.ts [ENTRY.ts …]');

// A stale file from an older layout would otherwise ship in the package.
rmSync('dist', { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--emitDeclarationOnly'], { stdio: 'inherit' });

await build({
  entryPoints,
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  // The build's own tsconfig: the workspace one maps `@sysmail/*` to sources, for tsx.
  tsconfig: 'tsconfig.build.json',
  packages: 'external',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
});
