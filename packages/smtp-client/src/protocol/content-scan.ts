/**
 * Finding where message content first needs the encoder: most mail is CRLF
 * text with no line starting with a dot, and is sent as it is, so this scan is
 * the only per-byte work for it. A WebAssembly SIMD kernel checks 16 bytes per
 * instruction; where WebAssembly is unavailable a JS loop gives the same answers.
 */

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const EMPTY_WORDS = new Int32Array(0);

/**
 * Scans `chunk` for the first byte the encoder must change or act on.
 *
 * @param chunk - message bytes
 * @param previous - the byte before the chunk (CR, LF or any other byte; LF at the start of the message)
 * @param stuff - whether a dot starting a line counts (DATA framing)
 * @returns the index of the first byte `i` that is an LF not after a CR, follows a CR without being an LF, or (when stuffing) is a dot after an LF — or the length when there is none
 */
export type FirstChange = (chunk: Uint8Array, previous: number, stuff: boolean) => number;

/**
 * The rule, byte by byte, between two indexes: the JS implementation, the
 * exact answer inside the step the WebAssembly kernel narrows a change to, and
 * the encoder's look at the few bytes after a change, where the next one often is.
 *
 * @param chunk - message bytes
 * @param previous - the byte before the chunk
 * @param from - first index to look at
 * @param to - index to stop before
 * @param stuff - whether a dot starting a line counts
 * @returns the first index in `from..to` that needs a change, or `to`
 */
export function firstChangeBetween(chunk: Uint8Array, previous: number, from: number, to: number, stuff: boolean): number {
  let before = from === 0 ? previous : (chunk[from - 1] as number);
  for (let i = from; i < to; i++) {
    const byte = chunk[i] as number;
    // Clean text has an LF exactly where the byte before is a CR.
    if ((byte === LF) !== (before === CR) || (stuff && byte === DOT && before === LF)) return i;
    before = byte;
  }
  return to;
}

/**
 * {@link FirstChange} in plain JS, for where WebAssembly cannot run: 4-byte
 * words without a byte below 14 (so without CR or LF) are skipped whole, which
 * is ~4 times faster than looking at every byte. A byte needs a change only
 * where it is an LF or follows a CR or LF, so a word without either can hide
 * none, except at its first byte when the word before ends in one: each word
 * that has one is looked at with the byte after it.
 */
export const firstChangeJs: FirstChange = (chunk, previous, stuff) => {
  const length = chunk.length;
  // The edge bytes before the first aligned word, and the byte after them: the first byte pairs with `previous`.
  const head = Math.min(length, (4 - (chunk.byteOffset & 3)) & 3);
  const headEnd = Math.min(length, head + 1);
  const inHead = firstChangeBetween(chunk, previous, 0, headEnd, stuff);
  if (inHead < headEnd) return inHead;
  const words = (length - head) >> 2;
  // A chunk too short to reach an aligned word has only edge bytes.
  const view = words === 0 ? EMPTY_WORDS : new Int32Array(chunk.buffer, chunk.byteOffset + head, words);
  for (let w = 0; w < words; w++) {
    const word = view[w] as number;
    // Non-zero exactly when some byte of the word is below 14 (Bit Twiddling Hacks, "haslessthan").
    if (((word - 0x0e0e0e0e) & ~word & 0x80808080) !== 0) {
      const at = head + (w << 2);
      const to = Math.min(length, at + 5);
      const found = firstChangeBetween(chunk, previous, at, to, stuff);
      if (found < to) return found;
    }
  }
  return firstChangeBetween(chunk, previous, head + (words << 2), length, stuff);
};

// Layout of the kernel's memory: the byte before the window at WINDOW_AT - 1, the
// window from WINDOW_AT, then room for the last step's reads past its end.
const WINDOW_AT = 16;
/** Bytes the kernel looks at between two tests for a change: fewer branches, at most this many bytes looked at again in JS. */
const STEP = 128;
/** The most bytes copied into the kernel's memory at a time: small enough to stay in the L2 cache between copy and scan. */
export const WINDOW = 64 * 1024;
/** Bytes copied into the kernel's memory for the first window of each call; each next window is twice as large, up to {@link WINDOW}. */
export const FIRST_WINDOW = 256;
const PAGE = 64 * 1024;
const PAGES = Math.ceil((WINDOW_AT + WINDOW + STEP + 16) / PAGE);

/** Module bytes as written below: numbers, in arrays nested as the listing reads, flattened once. */
type Code = number | readonly Code[];

function flat(code: readonly Code[], into: number[] = []): number[] {
  // Array.prototype.flat(Infinity) took ~1 ms here: as long as everything else of the kernel's set-up.
  for (const item of code) {
    if (typeof item === 'number') into.push(item);
    else flat(item, into);
  }
  return into;
}

/** WebAssembly opcodes the kernel uses (core and SIMD, WebAssembly 2.0). */
const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  void: 0x40,
  i32: 0x7f,
  v128: 0x7b,
} as const;
/** SIMD instructions: prefix 0xfd, then the opcode as LEB128. */
const SIMD = {
  load: [0xfd, 0x00],
  i8x16Splat: [0xfd, 0x0f],
  i8x16Eq: [0xfd, 0x23],
  and: [0xfd, 0x4e],
  or: [0xfd, 0x50],
  xor: [0xfd, 0x51],
  anyTrue: [0xfd, 0x53],
} as const;

/** Unsigned LEB128, as WebAssembly encodes indexes, sizes and offsets. */
function uleb(value: number): number[] {
  const bytes: number[] = [];
  do {
    const low = value & 0x7f;
    value >>>= 7;
    bytes.push(value === 0 ? low : low | 0x80);
  } while (value !== 0);
  return bytes;
}

/** Signed LEB128, as `i32.const` encodes its value: 64 needs two bytes, as 0x40 alone is -64. */
function sleb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const low = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (low & 0x40) === 0) || (value === -1 && (low & 0x40) !== 0);
    bytes.push(done ? low : low | 0x80);
    if (done) return bytes;
  }
}

/** A vector: its length, then its items. */
function vector(items: readonly Code[]): Code[] {
  return [uleb(items.length), items];
}

/** A section, or a function body: its size in bytes, then its bytes. */
function sized(contents: readonly Code[]): number[] {
  const bytes = flat(contents);
  return [...uleb(bytes.length), ...bytes];
}

function name(text: string): Code[] {
  return vector(Array.from(text, (c) => c.charCodeAt(0)));
}

/**
 * The body of `scan(n: i32) -> i32`: the offset, a multiple of {@link STEP},
 * of the first step of the window holding a byte that needs a change — or an
 * offset not below `n`. Bytes read past `n` are leftovers of earlier windows:
 * the caller ignores what they seem to show.
 *
 * ```wat
 * (local $i i32) (local $cr v128) (local $lf v128) (local $dot v128) (local $byte v128) (local $before v128)
 * $cr = i8x16.splat(CR); $lf = i8x16.splat(LF); $dot = i8x16.splat(DOT)
 * block $found
 *   loop $step
 *     br_if $found ($i >= $n)
 *     ;; for k in 0, 16, …, STEP - 16: $byte = load($i + WINDOW_AT + k); $before = load($i + WINDOW_AT - 1 + k)
 *     ;;   and the lanes that need a change: ($byte == $lf) xor ($before == $cr)
 *     ;;   [or ($byte == $dot) and ($before == $lf), when stuffing]
 *     br_if $found (any_true(all those lanes, or-ed))
 *     $i += STEP
 *     br $step
 *   end
 * end
 * $i
 * ```
 */
function scanBody(stuff: boolean): Code[] {
  const [n, i, cr, lf, dot, byte, before] = [0, 1, 2, 3, 4, 5, 6];
  const get = (local: number): Code[] => [OP.localGet, local];
  const splat = (value: number, local: number): Code[] => [OP.i32Const, sleb(value), SIMD.i8x16Splat, OP.localSet, local];
  // memarg: alignment hint 2^0 (the loads are unaligned), then the constant offset.
  const load = (offset: number, local: number): Code[] => [get(i), SIMD.load, 0, uleb(offset), OP.localSet, local];
  const changes = (k: number): Code[] => [
    load(WINDOW_AT + k, byte),
    load(WINDOW_AT - 1 + k, before),
    get(byte), get(lf), SIMD.i8x16Eq,
    get(before), get(cr), SIMD.i8x16Eq,
    SIMD.xor,
    stuff ? [get(byte), get(dot), SIMD.i8x16Eq, get(before), get(lf), SIMD.i8x16Eq, SIMD.and, SIMD.or] : [],
  ];
  const blocks: Code[] = [changes(0)];
  for (let k = 16; k < STEP; k += 16) blocks.push(changes(k), SIMD.or);
  return [
    vector([[1, OP.i32], [5, OP.v128]]),
    splat(CR, cr), splat(LF, lf), splat(DOT, dot),
    OP.block, OP.void,
    OP.loop, OP.void,
    get(i), get(n), OP.i32GeU, OP.brIf, 1,
    blocks,
    SIMD.anyTrue, OP.brIf, 1,
    get(i), OP.i32Const, sleb(STEP), OP.i32Add, OP.localSet, i,
    OP.br, 0,
    OP.end,
    OP.end,
    get(i),
    OP.end,
  ];
}

/**
 * The kernel module: one memory of {@link PAGES} pages exported as `memory`,
 * and `scan` (BDAT framing) and `scanStuffed` (DATA framing), both `(i32) -> i32`.
 */
export function kernelModuleBytes(): Uint8Array {
  const scanType = [0x60, vector([OP.i32]), vector([OP.i32])];
  return Uint8Array.from(
    flat([
      [0x00, 0x61, 0x73, 0x6d], // "\0asm"
      [0x01, 0x00, 0x00, 0x00], // version 1
      [1, sized(vector([scanType]))], // types
      [3, sized(vector([0, 0]))], // functions: both of type 0
      [5, sized(vector([[0x00, uleb(PAGES)]]))], // memory: minimum only
      [7, sized(vector([[name('memory'), 0x02, 0], [name('scan'), 0x00, 0], [name('scanStuffed'), 0x00, 1]]))], // exports
      [10, sized(vector([sized(scanBody(false)), sized(scanBody(true))]))], // code
    ]),
  );
}

/** The part of the WebAssembly JS API used here (the ES2022 lib declares none of it). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: KernelExports };
}

/** What the kernel module exports. */
interface KernelExports {
  memory: { buffer: ArrayBuffer };
  scan: (n: number) => number;
  scanStuffed: (n: number) => number;
}

/**
 * {@link FirstChange} on the WebAssembly SIMD kernel: each window of the chunk
 * is copied into the kernel's memory, scanned {@link STEP} bytes at a time, and a step
 * that shows a change is looked at again byte by byte.
 *
 * @returns undefined when WebAssembly or its SIMD instructions are unavailable, or compiling is refused
 */
export function createFirstChangeWasm(): FirstChange | undefined {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  const bytes = kernelModuleBytes();
  if (api === undefined || !api.validate(bytes)) return undefined;
  let exports: KernelExports;
  try {
    exports = new api.Instance(new api.Module(bytes)).exports;
  } catch {
    // An embedder may refuse to compile WebAssembly (a CSP without 'wasm-unsafe-eval'): the JS scan answers alike.
    return undefined;
  }
  const { memory, scan, scanStuffed } = exports;
  const kernelMemory = new Uint8Array(memory.buffer);
  return (chunk, previous, stuff) => {
    const length = chunk.length;
    const kernel = stuff ? scanStuffed : scan;
    // Windows grow from FIRST_WINDOW to WINDOW: after a change the next is often close (line ends in LF-only text), and copying a whole window to find it would cost more than the JS scan.
    for (let start = 0, size = FIRST_WINDOW; start < length; start += size, size = Math.min(WINDOW, size * 2)) {
      const end = Math.min(length, start + size);
      kernelMemory[WINDOW_AT - 1] = start === 0 ? previous : (chunk[start - 1] as number);
      kernelMemory.set(start === 0 && end === length ? chunk : chunk.subarray(start, end), WINDOW_AT);
      const at = start + kernel(end - start);
      if (at < end) {
        const stop = Math.min(end, at + STEP);
        const found = firstChangeBetween(chunk, previous, at, stop, stuff);
        if (found < stop) return found;
      }
    }
    return length;
  };
}

/**
 * Bytes scanned in JS before the kernel is built. Building it in a cold process
 * costs ~3 ms, about what the JS scan takes for this many bytes while it is not
 * yet optimised (measured cold: 3.4–5.7 ms for 256 KiB, 5.5–8.4 ms for 1 MiB),
 * so a process that sends a few notifications never pays for it, and one that
 * sends more pays at most about twice the least it could have (ski rental).
 */
const JS_BYTES_BEFORE_KERNEL = 128 * 1024;
let scannedInJs = 0;
let kernelScan: FirstChange | undefined;

/** {@link FirstChange} in JS for the first bytes a process sends, then on the WebAssembly kernel where there is one. */
export const firstChange: FirstChange = (chunk, previous, stuff) => {
  if (kernelScan === undefined) {
    if (scannedInJs + chunk.length <= JS_BYTES_BEFORE_KERNEL) {
      const found = firstChangeJs(chunk, previous, stuff);
      // What the scan cost: up to the change, not the bytes after it the encoder scans next.
      scannedInJs += found + 1;
      return found;
    }
    kernelScan = createFirstChangeWasm() ?? firstChangeJs;
  }
  return kernelScan(chunk, previous, stuff);
};
