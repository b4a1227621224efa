/**
 * The IoRegion over a real mapping (/dev/mem, /dev/uioN, a PCI resourceN, any file).
 *
 * The access path: on arm64/armv7 every access calls a raw N-API function bound to the mapping, which issues
 * the kernel's barriers (native/io_access.h). On x86-64 the kernel's readX/writeX are a plain mov, and:
 * - reads are `Atomics.load` on a typed array over the mapping: one load of the full width that V8 never
 *   narrows or reorders (a plain typed-array read may be narrowed: TurboFan can turn `(u32[i] & 1)` into a
 *   1-byte test);
 * - writes are plain typed-array stores where this V8 is in {@link PLAIN_STORES_VERIFIED}, else native calls.
 *   `Atomics.store` is never used: V8 emits `xchg`, a locked read-modify-write that also reads the register
 *   (and so clears read-to-clear bits and pops FIFOs).
 * After every access the region's fault word is checked (native/fault_guard.cc): a bus fault becomes EFAULT.
 * @module
 */
import { addon, type Addon, type NativeAccessors, type NativeHandle, type NativeMapping } from './addon.js';
import { checkBlock, checkBuffer, checkCondition, checkMicros, checkValue, checkValue64, diagnoseOffset } from '../core/checks.js';
import { busFaultError, internalError, pollTimeoutError, rangeError, readOnlyError, unmappedError } from '../core/errors.js';
import type { IoRegion, PollCondition, PollOptions } from '../core/io-region.js';
import { pollAsync, pollAtomic } from '../core/poll.js';
import { performance } from 'node:perf_hooks';
import './poll-timer.js'; // the sleeping polls sleep on the addon's timerfd

/**
 * The V8 versions (major.minor) on which a plain typed-array store is verified to compile to exactly one `mov`
 * of the element's width on x86-64, never merged, split or dropped: test/access-width.test.ts watches every
 * store of the shipped writeX paths with the CPU's debug registers, on each Node.js that CI runs (20: V8 11.3,
 * 22: 12.4, 24: 13.6, 26: 14.6). On any other V8, writes take the native call, which guarantees it by
 * construction (inline assembly). `Atomics.store` is never used: V8 emits `xchg`, which also reads the register.
 */
export const PLAIN_STORES_VERIFIED: ReadonlySet<string> = new Set(['11.3', '12.4', '13.6', '14.6']);

/** This process's V8 version as major.minor. */
function v8MajorMinor(): string {
  return process.versions.v8.split('.').slice(0, 2).join('.');
}

function bswap32(v: number): number {
  return ((v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** The accessors of a region whose every access takes the x86-64 fast path: never called, loud if they were. */
const UNBOUND_ACCESSORS = new Proxy({} as NativeAccessors, {
  get: (_, name) => () => {
    throw internalError(`native ${String(name)} called on a fast-path region`);
  },
});

/** The kernel's name of each native write accessor, for the read-only error. */
const WRITE_CALLS = {
  write8: 'writeb', write16: 'writew', write32: 'writel', write64: 'writeq',
  write8Relaxed: 'writeb_relaxed', write16Relaxed: 'writew_relaxed', write32Relaxed: 'writel_relaxed', write64Relaxed: 'writeq_relaxed',
  write16be: 'iowrite16be', write32be: 'iowrite32be',
} as const;

/** `fn` with every write replaced by one that throws ERR_IOMEM_READONLY naming the path and offset. */
function refuseWrites(fn: NativeAccessors, path: string): NativeAccessors {
  const out = { ...fn };
  for (const [key, call] of Object.entries(WRITE_CALLS)) {
    (out as Record<string, unknown>)[key] = (_value: unknown, offset: number) => {
      throw readOnlyError(call, path, offset);
    };
  }
  return out;
}

/** Where a {@link NativeRegion} lies and how it was mapped. @internal */
export interface NativeRegionPlace {
  /** Byte offset of the mapping in its file (the physical address for /dev/mem). */
  fileOffset: bigint;
  /** The address reported as `region.phys`. */
  phys: bigint;
  /** Length in bytes. */
  size: number;
  /** The mapped file. */
  path: string;
  /** Mapped PROT_READ only. */
  readOnly: boolean;
  /** Called once after unmapping. */
  onUnmap?: () => void;
}

/** An IoRegion over a native mapping. Created by ioremap and the UIO/PCI openers, not directly. */
export class NativeRegion implements IoRegion {
  readonly size: number;
  readonly phys: bigint;
  readonly path: string;
  #mapped = true;
  /** Largest valid offset + 1 for accesses; -1 once unmapped, so every fast check fails. */
  #limit: number;
  readonly #native: Addon;
  readonly #handle: NativeHandle;
  readonly #fn: NativeAccessors;
  /** The mapping's address modulo 8: alignment is checked on the address, as the hardware sees it. */
  readonly #misalign: number;
  /** True where writes may be plain typed-array stores (see {@link PLAIN_STORES_VERIFIED}). */
  readonly #plainWrites: boolean;
  /** True where reads may use Atomics.load (x86-64, and the mapping's address 8-byte aligned). */
  readonly #atomicReads: boolean;
  readonly #u8: Uint8Array;
  readonly #u16: Uint16Array;
  readonly #u32: Uint32Array;
  readonly #u64: BigUint64Array;
  readonly #onUnmap: (() => void) | undefined;
  readonly #readOnly: boolean;
  /** Written by the bus-fault handler (native/fault_guard.cc): [faulted, offset lo, offset hi, signal]. */
  readonly #fault: Int32Array;

  /** @internal */
  constructor(mapping: NativeMapping, where: NativeRegionPlace, native: Addon = addon()) {
    const { fileOffset, phys, size, path, readOnly, onUnmap } = where;
    this.#onUnmap = onUnmap;
    this.size = size;
    this.phys = phys;
    this.path = path;
    this.#limit = size;
    this.#native = native;
    this.#handle = mapping.handle;
    this.#misalign = Number(fileOffset % 8n);
    this.#atomicReads = native.arch === 'x64' && this.#misalign === 0;
    this.#plainWrites = this.#atomicReads && !readOnly && PLAIN_STORES_VERIFIED.has(v8MajorMinor());
    // The bound native functions only where some access calls them; a copy, for fast properties (see addon()).
    const needsNative = !this.#atomicReads || !this.#plainWrites;
    this.#fn = needsNative ? { ...native.bindAccessors(mapping.handle) } : UNBOUND_ACCESSORS;
    if (readOnly) this.#fn = refuseWrites(this.#fn, path);
    this.#readOnly = readOnly;
    this.#fault = new Int32Array(mapping.fault);
    const buf = mapping.buffer;
    this.#u8 = new Uint8Array(buf);
    this.#u16 = new Uint16Array(buf, 0, size >>> 1);
    this.#u32 = new Uint32Array(buf, 0, Math.floor(size / 4));
    this.#u64 = new BigUint64Array(buf, 0, Math.floor(size / 8));
  }

  get mapped(): boolean {
    return this.#mapped;
  }

  /** The fast check of every access: in range, aligned, a number. */
  #check(offset: number, width: number): void {
    // The sum is formed only once offset is known to be a number: a bigint offset must reach the type check.
    if (typeof offset === 'number' && offset >= 0 && offset <= this.#limit - width && (offset + this.#misalign) % width === 0) return;
    if (!this.#mapped) throw unmappedError(this.path);
    if (this.#misalign !== 0 && Number.isInteger(offset) && offset >= 0 && (offset + this.#misalign) % width !== 0) {
      throw rangeError(
        'ERR_UNALIGNED',
        `offset 0x${offset.toString(16)} is address 0x${(this.phys + BigInt(offset)).toString(16)}, not aligned for a ${width * 8}-bit access`,
        `the physical address must be a multiple of ${width} for a ${width * 8}-bit access: map the region at an aligned address, or use a narrower access.`,
      );
    }
    diagnoseOffset(offset, width, this.size);
  }

  /** The access check alone, for a subclass's slow path (lib/linux/wasm-region.ts). @internal */
  protected checkOffset(offset: number, width: number): void {
    this.#check(offset, width);
  }

  /** Throw the EFAULT error for the bus fault recorded in this region's fault word. */
  #throwFault(call: string): never {
    const f = this.#fault;
    throw busFaultError(call, this.path, this.phys, (f[2] >>> 0) * 2 ** 32 + (f[1] >>> 0), f[3]);
  }

  readb(offset: number): number {
    this.#check(offset, 1);
    const v = this.#atomicReads ? Atomics.load(this.#u8, offset) : this.#fn.read8(offset);
    if (this.#fault[0] !== 0) this.#throwFault('readb');
    return v;
  }
  readw(offset: number): number {
    this.#check(offset, 2);
    const v = this.#atomicReads ? Atomics.load(this.#u16, offset / 2) : this.#fn.read16(offset);
    if (this.#fault[0] !== 0) this.#throwFault('readw');
    return v;
  }
  readl(offset: number): number {
    this.#check(offset, 4);
    const v = this.#atomicReads ? Atomics.load(this.#u32, offset / 4) : this.#fn.read32(offset);
    if (this.#fault[0] !== 0) this.#throwFault('readl');
    return v;
  }
  readq(offset: number): bigint {
    this.#check(offset, 8);
    const v = this.#atomicReads ? Atomics.load(this.#u64, offset / 8) : this.#fn.read64(offset);
    if (this.#fault[0] !== 0) this.#throwFault('readq');
    return v;
  }
  readb_relaxed(offset: number): number {
    this.#check(offset, 1);
    const v = this.#atomicReads ? Atomics.load(this.#u8, offset) : this.#fn.read8Relaxed(offset);
    if (this.#fault[0] !== 0) this.#throwFault('readb_relaxed');
    return v;
  }
  readw_relaxed(offset: number): number {
    this.#check(offset, 2);
    const v = this.#atomicReads ? Atomics.load(this.#u16, offset / 2) : this.#fn.read16Relaxed(offset);
    if (this.#fault[0] !== 0) this.#throwFault('readw_relaxed');
    return v;
  }
  readl_relaxed(offset: number): number {
    this.#check(offset, 4);
    const v = this.#atomicReads ? Atomics.load(this.#u32, offset / 4) : this.#fn.read32Relaxed(offset);
    if (this.#fault[0] !== 0) this.#throwFault('readl_relaxed');
    return v;
  }
  readq_relaxed(offset: number): bigint {
    this.#check(offset, 8);
    const v = this.#atomicReads ? Atomics.load(this.#u64, offset / 8) : this.#fn.read64Relaxed(offset);
    if (this.#fault[0] !== 0) this.#throwFault('readq_relaxed');
    return v;
  }

  writeb(value: number, offset: number): void {
    this.#check(offset, 1);
    const v = checkValue(value, 1);
    if (this.#plainWrites) this.#u8[offset] = v;
    else this.#fn.write8(v, offset);
    if (this.#fault[0] !== 0) this.#throwFault('writeb');
  }
  writew(value: number, offset: number): void {
    this.#check(offset, 2);
    const v = checkValue(value, 2);
    if (this.#plainWrites) this.#u16[offset / 2] = v;
    else this.#fn.write16(v, offset);
    if (this.#fault[0] !== 0) this.#throwFault('writew');
  }
  writel(value: number, offset: number): void {
    this.#check(offset, 4);
    const v = checkValue(value, 4);
    if (this.#plainWrites) this.#u32[offset / 4] = v;
    else this.#fn.write32(v, offset);
    if (this.#fault[0] !== 0) this.#throwFault('writel');
  }
  writeq(value: bigint, offset: number): void {
    this.#check(offset, 8);
    const v = checkValue64(value);
    if (this.#plainWrites) this.#u64[offset / 8] = v;
    else this.#fn.write64(v, offset);
    if (this.#fault[0] !== 0) this.#throwFault('writeq');
  }
  writeb_relaxed(value: number, offset: number): void {
    this.#check(offset, 1);
    const v = checkValue(value, 1);
    if (this.#plainWrites) this.#u8[offset] = v;
    else this.#fn.write8Relaxed(v, offset);
    if (this.#fault[0] !== 0) this.#throwFault('writeb_relaxed');
  }
  writew_relaxed(value: number, offset: number): void {
    this.#check(offset, 2);
    const v = checkValue(value, 2);
    if (this.#plainWrites) this.#u16[offset / 2] = v;
    else this.#fn.write16Relaxed(v, offset);
    if (this.#fault[0] !== 0) this.#throwFault('writew_relaxed');
  }
  writel_relaxed(value: number, offset: number): void {
    this.#check(offset, 4);
    const v = checkValue(value, 4);
    if (this.#plainWrites) this.#u32[offset / 4] = v;
    else this.#fn.write32Relaxed(v, offset);
    if (this.#fault[0] !== 0) this.#throwFault('writel_relaxed');
  }
  writeq_relaxed(value: bigint, offset: number): void {
    this.#check(offset, 8);
    const v = checkValue64(value);
    if (this.#plainWrites) this.#u64[offset / 8] = v;
    else this.#fn.write64Relaxed(v, offset);
    if (this.#fault[0] !== 0) this.#throwFault('writeq_relaxed');
  }

  ioread8(offset: number): number {
    return this.readb(offset);
  }
  ioread16(offset: number): number {
    return this.readw(offset);
  }
  ioread32(offset: number): number {
    return this.readl(offset);
  }
  ioread64(offset: number): bigint {
    return this.readq(offset);
  }
  ioread16be(offset: number): number {
    this.#check(offset, 2);
    let v: number;
    if (this.#atomicReads) {
      const le = Atomics.load(this.#u16, offset / 2);
      v = ((le & 0xff) << 8) | (le >>> 8);
    } else {
      v = this.#fn.read16be(offset);
    }
    if (this.#fault[0] !== 0) this.#throwFault('ioread16be');
    return v;
  }
  ioread32be(offset: number): number {
    this.#check(offset, 4);
    const v = this.#atomicReads ? bswap32(Atomics.load(this.#u32, offset / 4)) : this.#fn.read32be(offset);
    if (this.#fault[0] !== 0) this.#throwFault('ioread32be');
    return v;
  }
  iowrite8(value: number, offset: number): void {
    this.writeb(value, offset);
  }
  iowrite16(value: number, offset: number): void {
    this.writew(value, offset);
  }
  iowrite32(value: number, offset: number): void {
    this.writel(value, offset);
  }
  iowrite64(value: bigint, offset: number): void {
    this.writeq(value, offset);
  }
  iowrite16be(value: number, offset: number): void {
    this.#check(offset, 2);
    const v = checkValue(value, 2);
    if (this.#plainWrites) this.#u16[offset / 2] = ((v & 0xff) << 8) | (v >>> 8);
    else this.#fn.write16be(v, offset);
    if (this.#fault[0] !== 0) this.#throwFault('iowrite16be');
  }
  iowrite32be(value: number, offset: number): void {
    this.#check(offset, 4);
    const v = checkValue(value, 4);
    if (this.#plainWrites) this.#u32[offset / 4] = bswap32(v);
    else this.#fn.write32be(v, offset);
    if (this.#fault[0] !== 0) this.#throwFault('iowrite32be');
  }

  #checkBlock(offset: number, count: number, bufferLength?: number): void {
    if (!this.#mapped) throw unmappedError(this.path);
    checkBlock(offset, count, this.size, bufferLength);
  }

  memcpy_fromio(dst: Uint8Array, offset: number, count: number): void {
    checkBuffer(dst, Uint8Array, 'dst');
    this.#checkBlock(offset, count, dst.byteLength);
    this.#native.memcpyFromIo(this.#handle, offset, dst, count);
    if (this.#fault[0] !== 0) this.#throwFault('memcpy_fromio');
  }
  memcpy_toio(offset: number, src: Uint8Array, count: number): void {
    checkBuffer(src, Uint8Array, 'src');
    this.#checkBlock(offset, count, src.byteLength);
    if (this.#readOnly) throw readOnlyError('memcpy_toio', this.path, offset);
    this.#native.memcpyToIo(this.#handle, offset, src, count);
    if (this.#fault[0] !== 0) this.#throwFault('memcpy_toio');
  }
  memset_io(offset: number, value: number, count: number): void {
    const byte = checkValue(value, 1);
    this.#checkBlock(offset, count);
    if (this.#readOnly) throw readOnlyError('memset_io', this.path, offset);
    this.#native.memsetIo(this.#handle, offset, byte, count);
    if (this.#fault[0] !== 0) this.#throwFault('memset_io');
  }

  #readRep(offset: number, width: 1 | 2 | 4, dst: ArrayBufferView & { length: number }, count: number): void {
    this.#check(offset, width);
    checkBlock(0, count, Infinity, dst.length);
    this.#native.readRep(this.#handle, offset, width, dst, count);
    if (this.#fault[0] !== 0) this.#throwFault(`ioread${width * 8}_rep`);
  }
  #writeRep(offset: number, width: 1 | 2 | 4, src: ArrayBufferView & { length: number }, count: number): void {
    this.#check(offset, width);
    checkBlock(0, count, Infinity, src.length);
    if (this.#readOnly) throw readOnlyError(`iowrite${width * 8}_rep`, this.path, offset);
    this.#native.writeRep(this.#handle, offset, width, src, count);
    if (this.#fault[0] !== 0) this.#throwFault(`iowrite${width * 8}_rep`);
  }
  ioread8_rep(offset: number, dst: Uint8Array, count: number): void {
    checkBuffer(dst, Uint8Array, 'dst');
    this.#readRep(offset, 1, dst, count);
  }
  ioread16_rep(offset: number, dst: Uint16Array, count: number): void {
    checkBuffer(dst, Uint16Array, 'dst');
    this.#readRep(offset, 2, dst, count);
  }
  ioread32_rep(offset: number, dst: Uint32Array, count: number): void {
    checkBuffer(dst, Uint32Array, 'dst');
    this.#readRep(offset, 4, dst, count);
  }
  iowrite8_rep(offset: number, src: Uint8Array, count: number): void {
    checkBuffer(src, Uint8Array, 'src');
    this.#writeRep(offset, 1, src, count);
  }
  iowrite16_rep(offset: number, src: Uint16Array, count: number): void {
    checkBuffer(src, Uint16Array, 'src');
    this.#writeRep(offset, 2, src, count);
  }
  iowrite32_rep(offset: number, src: Uint32Array, count: number): void {
    checkBuffer(src, Uint32Array, 'src');
    this.#writeRep(offset, 4, src, count);
  }

  /**
   * The atomic poll: `{ mask, value }` spins in native code; a predicate spins here on the fast reads. Checks
   * in every backend's order: the offset, the condition (lib/core/checks.ts checkCondition), delay, timeout.
   * The native spin returns to JS at least every 20 ms (native/poll.cc) and is called again until the
   * deadline, so a worker can be terminated and the process can exit while a poll waits forever.
   */
  #pollAtomic<T extends number | bigint>(
    call: string,
    width: 1 | 2 | 4 | 8,
    read: (offset: number) => T,
    offset: number,
    cond: PollCondition<T>,
    delayUs: number,
    timeoutUs: number,
  ): T {
    this.#check(offset, width);
    const checked = checkCondition(cond, width);
    if (checked.kind === 'predicate') {
      return pollAtomic(call, () => read.call(this, offset), offset, cond, delayUs, timeoutUs, this.path);
    }
    checkMicros(delayUs, 'delayUs');
    checkMicros(timeoutUs, 'timeoutUs');
    const { mask, value: want } = checked;
    const deadline = timeoutUs === 0 ? Infinity : performance.now() + timeoutUs / 1000;
    for (;;) {
      // What is left of the timeout (at least 1 us, so the native side makes its last read); 0: forever.
      const left = timeoutUs === 0 ? 0 : Math.max(1, (deadline - performance.now()) * 1000);
      const last = this.#native.pollAtomic(this.#handle, width, offset, mask, want, delayUs, left);
      if (this.#fault[0] !== 0) this.#throwFault(call);
      const met = typeof last === 'bigint' ? (last & (mask as bigint)) === want : ((last & (mask as number)) >>> 0) === want;
      if (met) return last as T;
      if (performance.now() > deadline) throw pollTimeoutError(call, offset, last as T, timeoutUs, this.path);
    }
  }

  readb_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    return this.#pollAtomic('readb_poll_timeout_atomic', 1, this.readb, offset, cond, delayUs, timeoutUs);
  }
  readw_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    return this.#pollAtomic('readw_poll_timeout_atomic', 2, this.readw, offset, cond, delayUs, timeoutUs);
  }
  readl_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    return this.#pollAtomic('readl_poll_timeout_atomic', 4, this.readl, offset, cond, delayUs, timeoutUs);
  }
  readq_poll_timeout_atomic(offset: number, cond: PollCondition<bigint>, delayUs: number, timeoutUs: number): bigint {
    return this.#pollAtomic('readq_poll_timeout_atomic', 8, this.readq, offset, cond, delayUs, timeoutUs);
  }
  async readb_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<number> {
    this.#check(offset, 1);
    return pollAsync('readb_poll_timeout', () => this.readb(offset), offset, cond, sleepUs, timeoutUs, this.path, options);
  }
  async readw_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<number> {
    this.#check(offset, 2);
    return pollAsync('readw_poll_timeout', () => this.readw(offset), offset, cond, sleepUs, timeoutUs, this.path, options);
  }
  async readl_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<number> {
    this.#check(offset, 4);
    return pollAsync('readl_poll_timeout', () => this.readl(offset), offset, cond, sleepUs, timeoutUs, this.path, options);
  }
  async readq_poll_timeout(offset: number, cond: PollCondition<bigint>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<bigint> {
    this.#check(offset, 8);
    return pollAsync('readq_poll_timeout', () => this.readq(offset), offset, cond, sleepUs, timeoutUs, this.path, options);
  }

  iounmap(): void {
    if (!this.#mapped) return;
    this.#mapped = false;
    this.#limit = -1;
    this.#native.unmap(this.#handle);
    this.#onUnmap?.();
  }

  [Symbol.dispose](): void {
    this.iounmap();
  }
}
