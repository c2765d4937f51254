import fc from 'fast-check';

/** Runs per property: FUZZ_RUNS, default 200 000 (a CI run sets a bounded count, e.g. 5000). */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 200_000);

/** Fewer runs for properties whose single run is heavy (megabyte inputs, TLS-free but large loops). */
export const HEAVY_RUNS = Math.max(10, Math.round(FUZZ_RUNS / 1000));

/**
 * Checks a property for the campaign's number of runs. A failure reports its
 * seed and path; replay it with `fc.assert(property, { seed, path })` and turn
 * the counterexample into a regression test in the owning package's `test/`.
 */
export function campaign<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>, numRuns = FUZZ_RUNS): void {
  fc.assert(property, { numRuns });
}

/** Arbitrary fragmentation of a byte string: cut points, then the pieces. */
export function fragments(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => (bytes.length === 0 ? 0 : cut % (bytes.length + 1))))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** Bytes that look like protocol text more often than uniform random bytes do. */
export function protocolBytes(tokens: readonly string[], maxLength = 40): fc.Arbitrary<Uint8Array> {
  const token = fc.oneof(
    fc.constantFrom(...tokens).map((text) => Buffer.from(text, 'latin1')),
    fc.uint8Array({ maxLength: 6 }),
  );
  return fc.array(token, { maxLength }).map((parts) => new Uint8Array(Buffer.concat(parts)));
}
