/**
 * Checks the packages as an application gets them, after `npm run build`: each
 * one is imported by plain Node (no tsx, no source condition) and must export
 * exactly what its sources export, and the built `system-mail` command must
 * run. The test suite runs on sources, so this is what catches a bundling
 * mistake — a dropped export, a workspace package inlined twice, a lost `#!`.
 *
 * Usage, from the repository root: `npx tsx scripts/check-built-packages.ts`
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runtimePackages = ['sasl', 'wire', 'smtp-client', 'pop3-client', 'system-mail'];
// Plain Node: without the loader flags tsx passes its children.
const plainEnvironment = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_OPTIONS'));

function plainNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, env: plainEnvironment, encoding: 'utf8' });
}

const problems: string[] = [];
for (const name of runtimePackages) {
  const builtExports = JSON.parse(
    plainNode(['--input-type=module', '-e', `console.log(JSON.stringify(Object.keys(await import('@sysmail/${name}')).sort()))`]),
  ) as string[];
  const sourceExports = Object.keys((await import(`../packages/${name}/src/index.ts`)) as object).sort();
  if (JSON.stringify(builtExports) !== JSON.stringify(sourceExports)) {
    problems.push(`@sysmail/${name}: built exports ${builtExports.join(', ')} differ from the sources' ${sourceExports.join(', ')}`);
  }
  const bundle = readFileSync(`${root}packages/${name}/dist/index.js`, 'utf8');
  for (const other of runtimePackages.filter((candidate) => candidate !== name)) {
    if (bundle.includes(`// ../${other}/src/`)) problems.push(`@sysmail/${name} inlines @sysmail/${other} instead of importing it`);
  }
}
if (!plainNode([`${root}packages/system-mail/dist/cli.js`, '--help']).startsWith('Usage: system-mail')) {
  problems.push('the built system-mail command does not print its usage');
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`built packages match their sources: ${runtimePackages.map((name) => `@sysmail/${name}`).join(', ')}`);
