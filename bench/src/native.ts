import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const sources = fileURLToPath(new URL('../native/', import.meta.url));
const output = fileURLToPath(new URL('../native/build/', import.meta.url));

/** The native programs of the benchmark. */
export type NativeProgram = 'smtp-sink' | 'pop3-sink' | 'smtp-limit' | 'pop3-limit' | 'measure';

/**
 * Compiles the native sinks, limit clients and the process meter with the
 * system's C compiler (`cc`, present wherever node-gyp works).
 *
 * @returns the path of each program
 */
export function buildNative(): Record<NativeProgram, string> {
  mkdirSync(output, { recursive: true });
  const programs: NativeProgram[] = ['smtp-sink', 'pop3-sink', 'smtp-limit', 'pop3-limit', 'measure'];
  const paths = {} as Record<NativeProgram, string>;
  for (const program of programs) {
    const path = output + program;
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-pthread', '-o', path, sources + program + '.c'], { stdio: 'inherit' });
    paths[program] = path;
  }
  return paths;
}
