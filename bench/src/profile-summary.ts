/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof --cpu-prof-dir DIR`) as
 * self time per function, the evidence behind the README's "what limits us".
 * Usage: node bench/dist/profile-summary.js FILE.cpuprofile [TOP]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, top = '25'] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: profile-summary FILE.cpuprofile [TOP]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const nameOf = new Map<number, string>();
for (const node of profile.nodes) {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url === '' ? '' : ` ${url.replace(/^.*\/(packages|bench|node_modules)\//, '$1/')}:${lineNumber + 1}`;
  nameOf.set(node.id, `${functionName === '' ? '(anonymous)' : functionName}${where}`);
}
const selfMicros = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, index) => {
  const delta = profile.timeDeltas[index] ?? 0;
  const name = nameOf.get(id) ?? '?';
  selfMicros.set(name, (selfMicros.get(name) ?? 0) + delta);
  total += delta;
});
const rows = [...selfMicros.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(top));
process.stdout.write(`total ${(total / 1000).toFixed(1)} ms sampled\n`);
for (const [name, micros] of rows) {
  process.stdout.write(`${(micros / 1000).toFixed(1).padStart(9)} ms ${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}\n`);
}
