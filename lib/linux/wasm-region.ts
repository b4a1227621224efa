/**
 * The NativeRegion whose single accesses go through a Wasm window (lib/linux/wasm-window.ts; verified V8s only):
 * each readX/writeX is a call of a one-instruction Wasm function on the memory the device is mapped into. On
 * x86-64 every single access does; on arm64 only the _relaxed forms (WASM_WINDOW_FORMS 'relaxed'): the ordered
 * ones (readX, writeX, ioreadXbe, iowriteXbe) are the NativeRegion's native calls, with the kernel's barriers.
 * Wasm traps on a misaligned atomic load and on any access past the memory, so a read checks only that the offset
 * is a uint32 (and, for a region that is not a whole number of 64 KiB pages, the end); a write checks alignment
 * too (plain stores do not trap on it). Everything else (errors, blocks, polls, iounmap) is the NativeRegion's.
 * After every access the fault word is checked, as on every path: on x86-64 by the Wasm function itself (the fault
 * word is in the window's first page; the function traps when it is set, and the trap's catch reports EFAULT), on
 * arm64 by JS. iounmap sets it, so that an access compiled before iounmap and run after it throws
 * `ERR_IOMEM_UNMAPPED` (it reaches only the anonymous pages put back).
 * @module
 */
import type { Addon, NativeMapping } from './addon.js';
import { checkValue, checkValue64 } from '../core/checks.js';
import { busFaultError, internalError, unmappedError } from '../core/errors.js';
import { NativeRegion, type NativeRegionPlace } from './native-region.js';
import { releaseWasmWindow, WASM_DEVICE_OFFSET, WASM_PAGE, WASM_WINDOW_FORMS, type WasmAccessors, type WasmWindow } from './wasm-window.js';

/** What iounmap writes into fault word 0: not a signal number, so no bus fault is reported for it. */
const UNMAPPED = -1;

/** What an unmapped region calls instead of its window's functions: they throw, so the slow path reports it. */
const gone = (): never => {
  throw new Error('unmapped');
};
const UNMAPPED_ACCESSORS: WasmAccessors = { r8: gone, r16: gone, r32: gone, r64: gone, w8: gone, w16: gone, w32: gone, w64: gone };

/**
 * Whether JS reads the fault word after each window call: on arm64, whose module is the one the ARM test verified
 * (the device at byte 0, no fault check in Wasm). On x86-64 each Wasm function checks it itself (a trap).
 */
const JS_FAULT_CHECK = WASM_DEVICE_OFFSET === 0;

/** How accessPath names an arm64 window, where only the _relaxed forms use it. */
const RELAXED_ONLY = WASM_WINDOW_FORMS === 'relaxed' ? ' for the _relaxed forms' : '';

const bswap16 = (v: number): number => ((v & 0xff) << 8) | (v >>> 8);
const bswap32 = (v: number): number => ((v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

/** A region over a native mapping made into a Wasm window. Created by mapFile, not directly. @internal */
export class WasmRegion extends NativeRegion {
  /** The window's functions; after iounmap, functions that throw (the window may serve another region then). */
  #w: WasmAccessors;
  readonly #window: WasmWindow;
  readonly #fault: Int32Array;

  constructor(mapping: NativeMapping, where: NativeRegionPlace, native: Addon, window: WasmWindow) {
    super(mapping, where, native);
    this.#window = window;
    this.#w = window.fn;
    this.#fault = new Int32Array(mapping.fault);
  }

  /** The access path of this region's single accesses, as the bench names it. */
  get accessPath(): string {
    return `Wasm window${RELAXED_ONLY} (bounds by Wasm traps)`;
  }

  /**
   * The range check JS adds to Wasm's: none here, where the memory is exactly the region (a whole number of
   * 64 KiB pages), so Wasm's bounds trap is the check; {@link BoundedWasmRegion} checks the end.
   */
  protected fits(offset: number, width: number): boolean {
    void offset;
    void width;
    return true;
  }

  #failed(call: string): never {
    if (!this.mapped) throw unmappedError(this.path);
    const f = this.#fault;
    throw busFaultError(call, this.path, this.phys, (f[2] >>> 0) * 2 ** 32 + (f[1] >>> 0), f[3]);
  }

  /** A fast-checked offset: a uint32 that {@link WasmRegion.fits} (alignment and the rest are Wasm's). */
  #ok(offset: number, width: number): boolean {
    return typeof offset === 'number' && offset >>> 0 === offset && this.fits(offset, width);
  }

  // One helper per width, named call passed in (for the EFAULT error's syscall); each is small enough to inline.
  #r8(offset: number, call: string): number {
    if (!this.#ok(offset, 1)) return this.#slowRead(offset, 1);
    let v: number;
    try {
      v = this.#w.r8(offset);
    } catch (e) {
      return this.#trapped(e, offset, 1, call);
    }
    if (JS_FAULT_CHECK && this.#fault[0] !== 0) this.#failed(call);
    return v;
  }
  #r16(offset: number, call: string): number {
    if (!this.#ok(offset, 2)) return this.#slowRead(offset, 2);
    let v: number;
    try {
      v = this.#w.r16(offset);
    } catch (e) {
      return this.#trapped(e, offset, 2, call);
    }
    if (JS_FAULT_CHECK && this.#fault[0] !== 0) this.#failed(call);
    return v;
  }
  #r32(offset: number, call: string): number {
    if (!this.#ok(offset, 4)) return this.#slowRead(offset, 4);
    let v: number;
    try {
      v = this.#w.r32(offset);
    } catch (e) {
      return this.#trapped(e, offset, 4, call);
    }
    if (JS_FAULT_CHECK && this.#fault[0] !== 0) this.#failed(call);
    return v >>> 0;
  }
  #r64(offset: number, call: string): bigint {
    if (!this.#ok(offset, 8)) return BigInt(this.#slowRead(offset, 8));
    let v: bigint;
    try {
      v = this.#w.r64(offset);
    } catch (e) {
      return this.#trapped(e, offset, 8, call);
    }
    if (JS_FAULT_CHECK && this.#fault[0] !== 0) this.#failed(call);
    return BigInt.asUintN(64, v);
  }
  /** An offset the fast check refused: the base's check throws its precise error (never an access). */
  #slowRead(offset: number, width: 1 | 2 | 4 | 8): number {
    this.checkOffset(offset, width);
    throw internalError(`offset ${offset} passed the checks but the fast check refused it`);
  }
  /**
   * The window's function threw `e`: an offset Wasm refused (out of range, misaligned), the accessors of an
   * unmapped region, or (x86-64) the fault check's trap after a bus fault. The base's check throws the precise
   * error (`ERR_IOMEM_UNMAPPED` first), else the fault word gives EFAULT; anything else (a stack overflow) is `e`.
   */
  #trapped(e: unknown, offset: number, width: 1 | 2 | 4 | 8, call: string): never {
    this.checkOffset(offset, width);
    if (this.#fault[0] !== 0) this.#failed(call);
    throw e;
  }

  override readb(offset: number): number {
    return this.#r8(offset, 'readb');
  }
  override readw(offset: number): number {
    return this.#r16(offset, 'readw');
  }
  override readl(offset: number): number {
    return this.#r32(offset, 'readl');
  }
  override readq(offset: number): bigint {
    return this.#r64(offset, 'readq');
  }
  // x86-64: the _relaxed forms are the same instruction (no barrier either way; arch/x86/include/asm/io.h).
  override readb_relaxed(offset: number): number {
    return this.#r8(offset, 'readb_relaxed');
  }
  override readw_relaxed(offset: number): number {
    return this.#r16(offset, 'readw_relaxed');
  }
  override readl_relaxed(offset: number): number {
    return this.#r32(offset, 'readl_relaxed');
  }
  override readq_relaxed(offset: number): bigint {
    return this.#r64(offset, 'readq_relaxed');
  }
  override ioread16be(offset: number): number {
    return bswap16(this.#r16(offset, 'ioread16be'));
  }
  override ioread32be(offset: number): number {
    return bswap32(this.#r32(offset, 'ioread32be'));
  }

  /** A fast-checked write offset: also aligned, as plain Wasm stores do not trap when misaligned. */
  #okWrite(offset: number, width: number): boolean {
    return this.#ok(offset, width) && (offset & (width - 1)) === 0;
  }
  /** The write's offset check, in the base's order (offset first), for a refused write. */
  #slowWrite(offset: number, width: 1 | 2 | 4 | 8): never {
    this.checkOffset(offset, width);
    throw internalError(`offset ${offset} passed the checks but the fast check refused it`);
  }
  /** checkValue, with the offset's error (ERR_IOMEM_UNMAPPED after iounmap) first, as the base class orders them. */
  #value(value: number, width: 1 | 2 | 4, offset: number): number {
    try {
      return checkValue(value, width);
    } catch (e) {
      this.checkOffset(offset, width);
      throw e;
    }
  }
  #w8(value: number, offset: number, call: string): void {
    if (!this.#okWrite(offset, 1)) this.#slowWrite(offset, 1);
    const v = this.#value(value, 1, offset);
    try {
      this.#w.w8(offset, v);
    } catch (e) {
      this.#trapped(e, offset, 1, call);
    }
    if (JS_FAULT_CHECK && this.#fault[0] !== 0) this.#failed(call);
  }
  #w16(value: number, offset: number, call: string, swap: boolean): void {
    if (!this.#okWrite(offset, 2)) this.#slowWrite(offset, 2);
    const v = this.#value(value, 2, offset);
    try {
      this.#w.w16(offset, swap ? bswap16(v) : v);
    } catch (e) {
      this.#trapped(e, offset, 2, call);
    }
    if (JS_FAULT_CHECK && this.#fault[0] !== 0) this.#failed(call);
  }
  #w32(value: number, offset: number, call: string, swap: boolean): void {
    if (!this.#okWrite(offset, 4)) this.#slowWrite(offset, 4);
    // checkValue's test, cheaper for the usual case: a uint32 or an int32 (typeof first: a bigint must not reach >>>).
    const v = typeof value === 'number' && (value >>> 0 === value || (value | 0) === value) ? value >>> 0 : this.#value(value, 4, offset);
    try {
      this.#w.w32(offset, swap ? bswap32(v) : v);
    } catch (e) {
      this.#trapped(e, offset, 4, call);
    }
    if (JS_FAULT_CHECK && this.#fault[0] !== 0) this.#failed(call);
  }
  #w64(value: bigint, offset: number, call: string): void {
    if (!this.#okWrite(offset, 8)) this.#slowWrite(offset, 8);
    let v: bigint;
    try {
      v = checkValue64(value);
    } catch (e) {
      this.checkOffset(offset, 8); // an offset error first, as on every path (after iounmap: ERR_IOMEM_UNMAPPED)
      throw e;
    }
    try {
      this.#w.w64(offset, v);
    } catch (e) {
      this.#trapped(e, offset, 8, call);
    }
    if (JS_FAULT_CHECK && this.#fault[0] !== 0) this.#failed(call);
  }

  override writeb(value: number, offset: number): void {
    this.#w8(value, offset, 'writeb');
  }
  override writew(value: number, offset: number): void {
    this.#w16(value, offset, 'writew', false);
  }
  override writel(value: number, offset: number): void {
    this.#w32(value, offset, 'writel', false);
  }
  override writeq(value: bigint, offset: number): void {
    this.#w64(value, offset, 'writeq');
  }
  override writeb_relaxed(value: number, offset: number): void {
    this.#w8(value, offset, 'writeb_relaxed');
  }
  override writew_relaxed(value: number, offset: number): void {
    this.#w16(value, offset, 'writew_relaxed', false);
  }
  override writel_relaxed(value: number, offset: number): void {
    this.#w32(value, offset, 'writel_relaxed', false);
  }
  override writeq_relaxed(value: bigint, offset: number): void {
    this.#w64(value, offset, 'writeq_relaxed');
  }
  override iowrite16be(value: number, offset: number): void {
    this.#w16(value, offset, 'iowrite16be', true);
  }
  override iowrite32be(value: number, offset: number): void {
    this.#w32(value, offset, 'iowrite32be', true);
  }

  override iounmap(): void {
    if (!this.mapped) return;
    super.iounmap();
    // After the native unmap (which put anonymous pages back): code that still holds this region (optimized
    // before, too) can reach neither the pages nor the window's next region: its accessors now throw, and the
    // fault word says unmapped. Only then is the window given back for reuse.
    this.#w = UNMAPPED_ACCESSORS;
    this.#fault[0] = UNMAPPED;
    releaseWasmWindow(this.#window);
  }
}

/**
 * A Wasm-window region that is not a whole number of 64 KiB pages: the memory is larger than the region, so JS
 * checks the end (about 0.2 ns more per access).
 * @internal
 */
export class BoundedWasmRegion extends WasmRegion {
  override get accessPath(): string {
    return `Wasm window${RELAXED_ONLY} (+ JS bounds check)`;
  }
  protected override fits(offset: number, width: number): boolean {
    return offset <= this.size - width;
  }
}

/** The Wasm-window region class for a mapping of `size` bytes. @internal */
export function wasmRegionClass(size: number): typeof WasmRegion {
  return size % WASM_PAGE === 0 ? WasmRegion : BoundedWasmRegion;
}

/**
 * The forms that keep the native call where the window serves only the _relaxed ones (arm64): the kernel's
 * readX is `ldr; eor/cbnz; dmb oshld` and writeX `dmb oshst; str` (native/io_access.h), which Wasm's `ldar` and
 * `stlr` are not shown to be (docs/design-fast-path.md); ioreadXbe/iowriteXbe are ordered as readX/writeX.
 */
const ORDERED_FORMS = ['readb', 'readw', 'readl', 'readq', 'ioread16be', 'ioread32be', 'writeb', 'writew', 'writel', 'writeq', 'iowrite16be', 'iowrite32be'] as const;
if (WASM_WINDOW_FORMS === 'relaxed') {
  for (const form of ORDERED_FORMS) {
    Object.defineProperty(WasmRegion.prototype, form, { value: NativeRegion.prototype[form], writable: true, configurable: true, enumerable: false });
  }
}
