/**
 * The timed JS cases: every access path the library ships, block operations, and context rows.
 *
 * Each case is a loop compiled from its own source text (`new Function`), so V8 keeps separate type
 * feedback per case and TurboFan inlines the one accessor the case calls, as it would in a driver's hot
 * loop. Results fold into `s`/`q` and are returned, so no read is dead code.
 * @module
 */
import { addon } from '../lib/linux/addon.js';
import { mapFile } from '../lib/linux/map-file.js';
import { PLAIN_STORES_VERIFIED, type NativeRegion } from '../lib/linux/native-region.js';
import { openWasmWindow, WASM_WINDOW_ENABLED } from '../lib/linux/wasm-window.js';
import { BLOCK, BLOCK_SIZES, HIGH_REG, HIGH_VALUE, MAP_SIZE, READ_REG, READ_VALUE, REG, sizeName } from './layout.js';

export type CaseGroup = 'read' | 'write' | 'block' | 'context';

export interface JsCase {
  /** Row name, e.g. `readl` or `readl [native call]`. */
  name: string;
  group: CaseGroup;
  /** How the call reaches memory. */
  path: string;
  /** The C case (bench/c/volatile-loop.c) this case is compared with, if any. */
  cBaseline?: string;
  /** Operations one call counts for: 1, or the 32-bit words a block call moves. */
  opsPerCall: number;
  /** Runs the case `n` times; returns a value derived from every read. */
  run: (n: number) => number;
}

export const FAST_PATH = 'Atomics.load (x86-64 fast path)';
export const WASM_WINDOW = 'Wasm window (x86-64 fast path: Wasm atomic load / plain store on the mapped memory)';
export const NATIVE_CALL = 'native call';
export const NATIVE_READ = 'native call (the arm64/armv7 read path)';
export const NATIVE_WRITE = 'native call (the arm64/armv7 write path)';
export const PLAIN_STORE = 'typed-array store (x86-64 fast path)';

let loopsMade = 0;

/**
 * A loop running `body` n times with `scope`'s names bound; a fresh script, so fresh feedback. The source carries
 * a serial number: V8 caches `new Function` by its source text, and on V8 14 two loops with the same text (the
 * `readl` and `readl [native call]` cases) shared their type feedback, so each slowed the other's call site.
 */
function loop(body: string, scope: Record<string, unknown>): (n: number) => number {
  const names = Object.keys(scope);
  const make = new Function(
    ...names,
    `/* case ${++loopsMade} */ return function (n) { let s = 0, q = 0n; for (let i = 0; i < n; i++) { ${body}; } return s ^ Number(q & 1n); };`,
  ) as (...values: unknown[]) => (n: number) => number;
  return make(...Object.values(scope));
}

/** The regions and raw views the cases run on, all over the same file. */
export interface CaseTargets {
  /** mapFile: the path this machine ships (Atomics.load reads on x86-64). */
  region: NativeRegion;
  /** The native call read path, as on arm64/armv7 (forced here by telling the region it runs on arm64). */
  nativePathRegion: NativeRegion;
  close(): void;
}

/**
 * Map `path` twice: as shipped, and forced onto the native call read path. The second region's class
 * comes from a separate instance of native-region.js, so its inlined readX keep their own feedback.
 */
export async function openTargets(path: string): Promise<CaseTargets> {
  const region = mapFile(path, 0, MAP_SIZE);
  const separateInstance = '../lib/linux/native-region.js?native-call-path';
  const { NativeRegion: NativePathRegion } = (await import(separateInstance)) as typeof import('../lib/linux/native-region.js');
  const native = addon();
  const mapping = native.map(path, 0n, MAP_SIZE, { sync: true, readOnly: false });
  const nativePathRegion = new NativePathRegion(
    mapping,
    { fileOffset: 0n, phys: 0n, size: MAP_SIZE, path, readOnly: false },
    { ...native, arch: 'arm64' },
  );
  region.writel(READ_VALUE, READ_REG);
  region.writel(HIGH_VALUE, HIGH_REG);
  return {
    region,
    nativePathRegion,
    close() {
      region.iounmap();
      nativePathRegion.iounmap();
    },
  };
}

const READS: [name: string, c: string, body: string][] = [
  ['readb', 'read8', 's ^= r.readb(READ_REG)'],
  ['readw', 'read16', 's ^= r.readw(READ_REG)'],
  ['readl', 'read32', 's ^= r.readl(READ_REG)'],
  ['readl (a value ≥ 2^31)', 'read32', 's ^= r.readl(HIGH_REG)'],
  ['readq', 'read64', 'q = r.readq(READ_REG)'],
  ['readb_relaxed', 'read8', 's ^= r.readb_relaxed(READ_REG)'],
  ['readw_relaxed', 'read16', 's ^= r.readw_relaxed(READ_REG)'],
  ['readl_relaxed', 'read32', 's ^= r.readl_relaxed(READ_REG)'],
  ['readq_relaxed', 'read64', 'q = r.readq_relaxed(READ_REG)'],
  ['ioread16be', 'read16be', 's ^= r.ioread16be(READ_REG)'],
  ['ioread32be', 'read32be', 's ^= r.ioread32be(READ_REG)'],
];

const WRITES: [name: string, c: string, body: string][] = [
  ['writeb', 'write8', 'r.writeb(i & 0xff, REG)'],
  ['writew', 'write16', 'r.writew(i & 0xff, REG)'],
  ['writel', 'write32', 'r.writel(i & 0xff, REG)'],
  ['writeq', 'write64', 'r.writeq(V64, REG)'],
  ['writeb_relaxed', 'write8', 'r.writeb_relaxed(i & 0xff, REG)'],
  ['writew_relaxed', 'write16', 'r.writew_relaxed(i & 0xff, REG)'],
  ['writel_relaxed', 'write32', 'r.writel_relaxed(i & 0xff, REG)'],
  ['writeq_relaxed', 'write64', 'r.writeq_relaxed(V64, REG)'],
  ['iowrite16be', 'write16be', 'r.iowrite16be(i & 0xff, REG)'],
  ['iowrite32be', 'write32be', 'r.iowrite32be(i & 0xff, REG)'],
];

const V64 = 0x0123_4567_89ab_cdefn;

/**
 * Single reads and writes on both paths: as shipped (x86-64: Atomics.load reads, and plain typed-array stores where
 * this V8 is in PLAIN_STORES_VERIFIED) and forced onto the native calls that arm64/armv7 use.
 */
export function accessCases(t: CaseTargets, fastPathReads: boolean): JsCase[] {
  const cases: JsCase[] = [];
  const wasm = WASM_WINDOW_ENABLED && (t.region as { accessPath?: string }).accessPath !== undefined;
  const fastPath = wasm ? WASM_WINDOW : fastPathReads ? FAST_PATH : NATIVE_READ;
  for (const [name, c, body] of READS) {
    cases.push({ name, group: 'read', path: fastPath, cBaseline: c, opsPerCall: 1, run: loop(body, { r: t.region, READ_REG, HIGH_REG }) });
  }
  if (fastPathReads) {
    for (const [name, c, body] of READS) {
      const run = loop(body, { r: t.nativePathRegion, READ_REG, HIGH_REG });
      cases.push({ name: `${name} [native call]`, group: 'read', path: NATIVE_READ, cBaseline: c, opsPerCall: 1, run });
    }
  }
  const plainWrites = fastPathReads && PLAIN_STORES_VERIFIED.has(process.versions.v8.split('.').slice(0, 2).join('.'));
  for (const [name, c, body] of WRITES) {
    const path = wasm ? WASM_WINDOW : plainWrites ? PLAIN_STORE : NATIVE_CALL;
    cases.push({ name, group: 'write', path, cBaseline: c, opsPerCall: 1, run: loop(body, { r: t.region, REG, V64 }) });
  }
  if (plainWrites) {
    for (const [name, c, body] of WRITES) {
      const run = loop(body, { r: t.nativePathRegion, REG, V64 });
      cases.push({ name: `${name} [native call]`, group: 'write', path: NATIVE_WRITE, cBaseline: c, opsPerCall: 1, run });
    }
  }
  return cases;
}

/** memcpy_fromio/toio and ioread32_rep/iowrite32_rep at each block size, in ns per 32-bit word. */
export function blockCases(t: CaseTargets): JsCase[] {
  const cases: JsCase[] = [];
  for (const bytes of BLOCK_SIZES) {
    const words = bytes / 4;
    const bytesBuf = new Uint8Array(bytes).fill(0x5a);
    const wordsBuf = new Uint32Array(words).fill(0x5a5a5a5a);
    const scope = { r: t.region, REG, BLOCK, bytes, words, bytesBuf, wordsBuf };
    const block = (op: string, body: string): JsCase => ({
      name: `${op} ${sizeName(bytes)}`,
      group: 'block',
      path: NATIVE_CALL,
      cBaseline: `${op}:${bytes}`,
      opsPerCall: words,
      run: loop(body, scope),
    });
    cases.push(
      block('memcpy_fromio', 'r.memcpy_fromio(bytesBuf, BLOCK, bytes); s ^= bytesBuf[0]'),
      block('memcpy_toio', 'r.memcpy_toio(BLOCK, bytesBuf, bytes)'),
      block('ioread32_rep', 'r.ioread32_rep(REG, wordsBuf, words); s ^= wordsBuf[0]'),
      block('iowrite32_rep', 'r.iowrite32_rep(REG, wordsBuf, words)'),
    );
  }
  return cases;
}

/**
 * Context rows on the same memory: Node's Buffer accessors (as the issue asks), and the library's two
 * mechanisms without the region wrapper (its checks), to show what the wrapper costs.
 */
export function contextCases(path: string): { cases: JsCase[]; close(): void } {
  const native = addon();
  const mapping = native.map(path, 0n, MAP_SIZE, { sync: true, readOnly: false });
  const u32 = new Uint32Array(mapping.buffer);
  const buf = Buffer.from(mapping.buffer);
  const { read32, write32 } = native.bindAccessors(mapping.handle);
  const row = (name: string, path: string, cBaseline: string | undefined, body: string, scope: Record<string, unknown>): JsCase => ({
    name,
    group: 'context',
    path,
    cBaseline,
    opsPerCall: 1,
    run: loop(body, { ...scope, REG, READ_REG }),
  });
  const cases = [
    row('empty JS loop', 'loop overhead only', undefined, 's ^= i', {}),
    row('Buffer.readUInt32LE', 'Node Buffer (plain load)', 'read32', 's ^= buf.readUInt32LE(READ_REG)', { buf }),
    row('Buffer.writeUInt32LE', 'Node Buffer (plain store)', 'write32', 'buf.writeUInt32LE(i & 0xff, REG)', { buf }),
    row('Atomics.load, no wrapper', 'Atomics.load on a Uint32Array', 'read32', 's ^= Atomics.load(u32, READ_REG >> 2)', { u32 }),
    row('native read32, no wrapper', 'the bound N-API function alone', 'read32', 's ^= read32(READ_REG)', { read32 }),
    row('native write32, no wrapper', 'the bound N-API function alone', 'write32', 'write32(i & 0xff, REG)', { write32 }),
  ];
  // The Wasm window's bare functions (no JS checks; on x86-64 each checks the fault word itself, as shipped): the
  // floor of the fast path.
  const window = WASM_WINDOW_ENABLED ? openWasmWindow(MAP_SIZE, native.windowFaultPage === true) : null;
  const windowMapping = window
    ? native.map(path, 0n, MAP_SIZE, { sync: true, readOnly: false, into: window.memory.buffer, intoOffset: window.deviceOffset || undefined })
    : null;
  if (window) {
    const w = window.fn;
    cases.push(
      row('Wasm atomic load, no wrapper', 'i32.atomic.load on the window', 'read32', 's ^= w.r32(READ_REG)', { w }),
      row('Wasm store, no wrapper', 'i32.store on the window', 'write32', 'w.w32(REG, i & 0xff)', { w }),
    );
  }
  return {
    cases,
    close: () => {
      native.unmap(mapping.handle);
      if (windowMapping) native.unmap(windowMapping.handle);
    },
  };
}
