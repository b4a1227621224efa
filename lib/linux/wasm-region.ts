/**
 * The NativeRegion whose single accesses go through a Wasm window (lib/linux/wasm-window.ts; x86-64, verified V8s
 * only): each readX/writeX is a call of a one-instruction Wasm function on the memory the device is mapped into.
 * Wasm traps on a misaligned atomic load and on any access past the memory, so a read checks only that the offset
 * is a uint32 (and, for a region that is not a whole number of 64 KiB pages, the end); a write checks alignment
 * too (plain stores do not trap on it). Everything else (errors, blocks, polls, iounmap) is the NativeRegion's.
 * After every access the fault word is checked, as on every path; iounmap sets it, so that an access compiled
 * before iounmap and run after it throws `ERR_IOMEM_UNMAPPED` (it reaches only the anonymous pages put back).
 * @module
 */
import type { Addon, NativeMapping } from './addon.js';
import { checkValue, checkValue64 } from '../core/checks.js';
import { busFaultError, unmappedError } from '../core/errors.js';
import { NativeRegion, type NativeRegionPlace } from './native-region.js';
import { WASM_PAGE, type WasmAccessors, type WasmWindow } from './wasm-window.js';

/** What iounmap writes into fault word 0: not a signal number, so no bus fault is reported for it. */
const UNMAPPED = -1;

const bswap16 = (v: number): number => ((v & 0xff) << 8) | (v >>> 8);
const bswap32 = (v: number): number => ((v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

/** A region over a native mapping made into a Wasm window. Created by mapFile, not directly. @internal */
export class WasmRegion extends NativeRegion {
  readonly #w: WasmAccessors;
  /** Keeps the memory (and so the pages the device is mapped over) alive as long as the region. */
  readonly #window: WasmWindow;
  /** Size the JS check allows: the size when Wasm's own bounds are looser (not a whole number of pages), else 2^32. */
  #end: number;
  readonly #fault: Int32Array;

  constructor(mapping: NativeMapping, where: NativeRegionPlace, native: Addon, window: WasmWindow) {
    super(mapping, where, native);
    this.#window = window;
    this.#w = window.fn;
    this.#end = where.size % WASM_PAGE === 0 ? 2 ** 32 : where.size;
    this.#fault = new Int32Array(mapping.fault);
  }

  /** The access path of this region's single accesses, as the bench names it. */
  get accessPath(): string {
    return this.#end === 2 ** 32 ? 'Wasm window (bounds by Wasm traps)' : 'Wasm window (+ JS bounds check)';
  }

  #failed(call: string): never {
    if (!this.mapped) throw unmappedError(this.path);
    const f = this.#fault;
    throw busFaultError(call, this.path, this.phys, (f[2] >>> 0) * 2 ** 32 + (f[1] >>> 0), f[3]);
  }

  /** A fast-checked offset: a uint32 inside #end (alignment and the rest are Wasm's). */
  #ok(offset: number, width: number): boolean {
    return typeof offset === 'number' && offset >>> 0 === offset && offset <= this.#end - width;
  }

  // One helper per width, named call passed in (for the EFAULT error's syscall); each is small enough to inline.
  #r8(offset: number, call: string): number {
    if (!this.#ok(offset, 1)) return this.#slowRead(offset, 1);
    let v: number;
    try {
      v = this.#w.r8(offset);
    } catch {
      return this.#slowRead(offset, 1); // a trap: the base's checks throw the precise error
    }
    if (this.#fault[0] !== 0) this.#failed(call);
    return v;
  }
  #r16(offset: number, call: string): number {
    if (!this.#ok(offset, 2)) return this.#slowRead(offset, 2);
    let v: number;
    try {
      v = this.#w.r16(offset);
    } catch {
      return this.#slowRead(offset, 2);
    }
    if (this.#fault[0] !== 0) this.#failed(call);
    return v;
  }
  #r32(offset: number, call: string): number {
    if (!this.#ok(offset, 4)) return this.#slowRead(offset, 4);
    let v: number;
    try {
      v = this.#w.r32(offset);
    } catch {
      return this.#slowRead(offset, 4);
    }
    if (this.#fault[0] !== 0) this.#failed(call);
    return v >>> 0;
  }
  #r64(offset: number, call: string): bigint {
    if (!this.#ok(offset, 8)) return BigInt(this.#slowRead(offset, 8));
    let v: bigint;
    try {
      v = this.#w.r64(offset);
    } catch {
      return BigInt(this.#slowRead(offset, 8));
    }
    if (this.#fault[0] !== 0) this.#failed(call);
    return BigInt.asUintN(64, v);
  }
  /** An offset the fast check or Wasm refused: the base's check throws its precise error (never an access). */
  #slowRead(offset: number, width: 1 | 2 | 4 | 8): number {
    this.checkOffset(offset, width);
    throw new Error(`mmio internal error: offset ${offset} passed the checks but trapped in the Wasm window`);
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
  /** The write's offset and value checks, in the base's order (offset first), for a refused or trapped write. */
  #slowWrite(offset: number, width: 1 | 2 | 4 | 8): never {
    this.checkOffset(offset, width);
    throw new Error(`mmio internal error: offset ${offset} passed the checks but trapped in the Wasm window`);
  }
  #w8(value: number, offset: number, call: string): void {
    if (!this.#okWrite(offset, 1)) this.#slowWrite(offset, 1);
    const v = checkValue(value, 1);
    try {
      this.#w.w8(offset, v);
    } catch {
      this.#slowWrite(offset, 1);
    }
    if (this.#fault[0] !== 0) this.#failed(call);
  }
  #w16(value: number, offset: number, call: string, swap: boolean): void {
    if (!this.#okWrite(offset, 2)) this.#slowWrite(offset, 2);
    const v = checkValue(value, 2);
    try {
      this.#w.w16(offset, swap ? bswap16(v) : v);
    } catch {
      this.#slowWrite(offset, 2);
    }
    if (this.#fault[0] !== 0) this.#failed(call);
  }
  #w32(value: number, offset: number, call: string, swap: boolean): void {
    if (!this.#okWrite(offset, 4)) this.#slowWrite(offset, 4);
    const v = checkValue(value, 4);
    try {
      this.#w.w32(offset, swap ? bswap32(v) : v);
    } catch {
      this.#slowWrite(offset, 4);
    }
    if (this.#fault[0] !== 0) this.#failed(call);
  }
  #w64(value: bigint, offset: number, call: string): void {
    if (!this.#okWrite(offset, 8)) this.#slowWrite(offset, 8);
    const v = checkValue64(value);
    try {
      this.#w.w64(offset, v);
    } catch {
      this.#slowWrite(offset, 8);
    }
    if (this.#fault[0] !== 0) this.#failed(call);
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
    this.#end = -1;
    super.iounmap();
    // After the native unmap (which put anonymous pages back): any access still in flight now throws.
    this.#fault[0] = UNMAPPED;
    void this.#window;
  }
}
