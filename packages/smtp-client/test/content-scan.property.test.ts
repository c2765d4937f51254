import { fc, test } from '@fast-check/vitest';
import { afterEach, describe, expect, vi } from 'vitest';
import { createFirstChangeWasm, FIRST_WINDOW, firstChange, firstChangeJs, kernelModuleBytes, WINDOW, type FirstChange } from '../src/protocol/content-scan.js';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** The rule as the encoder needs it, byte pair by byte pair, with the byte before the chunk in front. */
function reference(chunk: Uint8Array, previous: number, stuff: boolean): number {
  const bytes = [previous, ...chunk];
  for (let i = 1; i < bytes.length; i++) {
    const [before, byte] = [bytes[i - 1], bytes[i]];
    const bareLf = byte === LF && before !== CR;
    const bareCr = before === CR && byte !== LF;
    const leadingDot = stuff && before === LF && byte === DOT;
    if (bareLf || bareCr || leadingDot) return i - 1;
  }
  return chunk.length;
}

const wasm = createFirstChangeWasm();
const implementations: [string, FirstChange][] = [
  ['WebAssembly', wasm as FirstChange],
  ['JS', firstChangeJs],
];

/** Places bytes at any offset of a fresh buffer, so word and vector reads meet every alignment. */
function atOffset(bytes: Uint8Array, offset: number): Uint8Array {
  const buffer = new Uint8Array(offset + bytes.length);
  buffer.set(bytes, offset);
  return buffer.subarray(offset);
}

/** Bytes rich in CR, LF and dots. */
const bytesArb = fc.array(fc.oneof(fc.constantFrom(CR, LF, DOT), fc.integer({ min: 0, max: 255 })), { maxLength: 300 }).map((b) => Uint8Array.from(b));
/** The byte before a chunk: CR, LF or any other. */
const previousArb = fc.oneof(fc.constantFrom(CR, LF, DOT), fc.integer({ min: 0, max: 255 }));

/** Where the kernel's windows end in a chunk: they grow from FIRST_WINDOW to WINDOW. */
const windowEdges: number[] = [];
for (let edge = 0, size = FIRST_WINDOW; edge < 3 * WINDOW; size = Math.min(WINDOW, size * 2)) windowEdges.push((edge += size));

/**
 * CRLF lines of letters (some starting with a dot) long enough to span several
 * of the kernel's windows, with a few bytes changed anywhere, often next to
 * where one window ends and the next begins.
 */
const largeArb = fc
  .record({
    length: fc.integer({ min: 1, max: 3 * WINDOW + 100 }),
    lineBytes: fc.integer({ min: 2, max: 100 }),
    edits: fc.array(
      fc.record({
        at: fc.oneof(fc.nat(), fc.tuple(fc.constantFrom(...windowEdges), fc.integer({ min: -2, max: 1 })).map(([edge, by]) => edge + by)),
        byte: fc.constantFrom(CR, LF, DOT, 0x61),
      }),
      { maxLength: 4 },
    ),
  })
  .map(({ length, lineBytes, edits }) => {
    const bytes = new Uint8Array(length).fill(0x61);
    for (let end = lineBytes; end <= length; end += lineBytes) {
      bytes[end - 2] = CR;
      bytes[end - 1] = LF;
    }
    for (const { at, byte } of edits) bytes[at % length] = byte;
    return bytes;
  });

test('the kernel module is valid WebAssembly, and Node runs it', () => {
  // The ES2022 lib declares no WebAssembly.
  const api = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  expect(api.validate(kernelModuleBytes())).toBe(true);
  expect(wasm).toBeDefined();
});

describe('without WebAssembly', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  test('there is no kernel where WebAssembly is missing, without SIMD, or refused', () => {
    vi.stubGlobal('WebAssembly', undefined);
    expect(createFirstChangeWasm()).toBeUndefined();
    vi.stubGlobal('WebAssembly', { validate: () => false });
    expect(createFirstChangeWasm()).toBeUndefined();
    const refuse = (): never => {
      throw new Error('Wasm code generation disallowed by embedder');
    };
    vi.stubGlobal('WebAssembly', { validate: () => true, Module: refuse, Instance: refuse });
    expect(createFirstChangeWasm()).toBeUndefined();
  });
});

test('firstChange answers like the reference before and after it builds the kernel', () => {
  const clean = Buffer.from('line\r\n'.repeat(40_000), 'latin1');
  const dirty = Buffer.from(clean);
  dirty[dirty.length - 3] = LF;
  // More bytes than the JS scan takes on before the kernel is built.
  for (let round = 0; round < 6; round++) {
    expect(firstChange(clean, LF, true)).toBe(clean.length);
    expect(firstChange(dirty, LF, false)).toBe(dirty.length - 3);
    expect(firstChange(clean.subarray(6), CR, false)).toBe(0);
    expect(firstChange(clean.subarray(5), CR, false)).toBe(clean.length - 5);
  }
});

describe.each(implementations)('%s scan', (_, scan) => {
  test.prop([bytesArb, previousArb, fc.boolean(), fc.nat({ max: 31 })])('finds the first change in any bytes, at any alignment', (bytes, previous, stuff, offset) => {
    expect(scan(atOffset(bytes, offset), previous, stuff)).toBe(reference(bytes, previous, stuff));
  });

  test.prop([largeArb, fc.boolean()], { numRuns: 40 })('finds the first change across windows in large, mostly clean text', (bytes, stuff) => {
    expect(scan(bytes, LF, stuff)).toBe(reference(bytes, LF, stuff));
  });

  test.prop([bytesArb, fc.array(fc.nat(), { maxLength: 12 }), fc.boolean()])(
    'chunk by chunk, each passed the byte before it, finds the changes the whole message has',
    (bytes, cuts, stuff) => {
      const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
      let start = 0;
      for (const end of [...points, bytes.length]) {
        const previous = start === 0 ? LF : (bytes[start - 1] as number);
        const inWhole = reference(bytes.subarray(start), previous, stuff);
        // A CR ending the chunk waits for the next one to say whether it was bare.
        expect(scan(bytes.subarray(start, end), previous, stuff)).toBe(Math.min(inWhole, end - start));
        start = end;
      }
    },
  );

  test('a CR ending one chunk and an LF or another byte starting the next', () => {
    const text = (s: string): Uint8Array => Buffer.from(s, 'latin1');
    expect(scan(text('a\r'), LF, false)).toBe(2);
    expect(scan(text('\nb'), CR, false)).toBe(2);
    expect(scan(text('b\r\n'), CR, false)).toBe(0);
    expect(scan(text('.b'), LF, true)).toBe(0);
    expect(scan(text('.b'), LF, false)).toBe(2);
    expect(scan(new Uint8Array(0), CR, true)).toBe(0);
  });

  test.each(windowEdges.slice(0, 10))('a CR ending the window that ends at %i, and what starts the next', (edge) => {
    const bytes = new Uint8Array(edge + WINDOW + 7).fill(0x61);
    bytes[edge - 1] = CR;
    expect(scan(bytes, LF, false)).toBe(edge);
    bytes[edge] = LF;
    expect(scan(bytes, LF, false)).toBe(bytes.length);
    bytes[edge + 1] = DOT;
    expect(scan(bytes, LF, false)).toBe(bytes.length);
    expect(scan(bytes, LF, true)).toBe(edge + 1);
  });
});
