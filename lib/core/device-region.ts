/**
 * An {@link IoRegion} over anything that answers single, width-exact bus accesses ({@link BusDevice}): the
 * simulated backend's devices (lib/sim) and VFIO regions reached by pread/pwrite on the device descriptor
 * (lib/linux/vfio-region.ts). Every accessor makes exactly one device access of its width; block operations
 * split into the widest naturally aligned accesses (8, 4, 2, 1 bytes) judged on the offset, and `_rep`
 * operations make `count` accesses to the same offset, so the device sees what hardware would.
 * @module
 */
import { checkAccess, checkBlock, checkBuffer, checkValue, checkValue64 } from './checks.js';
import { unmappedError } from './errors.js';
import type { AccessWidth, IoRegion, PollCondition } from './io-region.js';
import { pollAsync, pollAtomic } from './poll.js';
import { swab16, swab32 } from './swab.js';
import { forEachChunk, getLittleEndian, setLittleEndian } from './block-chunks.js';
import type { BusValue } from './bus-value.js';

/**
 * What a {@link DeviceRegion} talks to: the counterpart of a device's MMIO read/write handlers (QEMU's
 * `MemoryRegionOps.read/write`). The region has already checked bounds, alignment and value types; the device
 * sees only valid, naturally aligned accesses inside `size`, one call per bus access.
 */
export interface BusDevice {
  /** Size of the device's address space in bytes; the region's `size`. */
  readonly size: number;
  /** One `width`-byte read at byte `offset`: an unsigned `number` for widths 1, 2 and 4, a `bigint` for 8. */
  read(offset: number, width: AccessWidth): BusValue;
  /** One `width`-byte write at byte `offset`; `value` is unsigned and truncated to the width (bigint for 8). */
  write(offset: number, width: AccessWidth, value: BusValue): void;
}

/** Where a {@link DeviceRegion} says it is. */
export interface DeviceRegionPlace {
  /** The region's `path` (errors carry it). */
  path: string;
  /** The region's `phys`. Default `0n`. */
  phys?: bigint;
}

/**
 * An {@link IoRegion} over a {@link BusDevice}, with the same argument checks and errors as the native backend,
 * in the same order: accessors check mapped (`ERR_IOMEM_UNMAPPED`), then the offset (`ERR_INVALID_ARG_TYPE`,
 * `ERR_OUT_OF_RANGE`, `ERR_UNALIGNED`), then the value; block and `_rep` operations check the buffer type first,
 * memset_io its value first. The poll methods use lib/core/poll.ts.
 */
export class DeviceRegion implements IoRegion {
  /** Length of the region in bytes (the device's `size`). */
  readonly size: number;
  /** The bus address of offset 0. */
  readonly phys: bigint;
  /** What backs the region. */
  readonly path: string;
  protected isMapped = true;

  /**
   * @param device answers every access
   * @param place the region's path and phys
   */
  constructor(
    readonly device: BusDevice,
    place: DeviceRegionPlace,
  ) {
    this.size = device.size;
    this.phys = place.phys ?? 0n;
    this.path = place.path;
  }

  /** False once {@link DeviceRegion.iounmap} has run. */
  get mapped(): boolean {
    return this.isMapped;
  }

  private access(offset: number, width: AccessWidth): void {
    if (!this.isMapped) throw unmappedError(this.path);
    checkAccess(offset, width, this.size);
  }

  private read(offset: number, width: 1 | 2 | 4): number {
    this.access(offset, width);
    return this.device.read(offset, width) as number;
  }

  private write(value: number, offset: number, width: 1 | 2 | 4): void {
    this.access(offset, width);
    this.device.write(offset, width, checkValue(value, width));
  }

  private read64(offset: number): bigint {
    this.access(offset, 8);
    return this.device.read(offset, 8) as bigint;
  }

  private write64(value: bigint, offset: number): void {
    this.access(offset, 8);
    this.device.write(offset, 8, checkValue64(value));
  }

  readb(offset: number): number {
    return this.read(offset, 1);
  }
  readw(offset: number): number {
    return this.read(offset, 2);
  }
  readl(offset: number): number {
    return this.read(offset, 4);
  }
  readq(offset: number): bigint {
    return this.read64(offset);
  }
  readb_relaxed(offset: number): number {
    return this.read(offset, 1);
  }
  readw_relaxed(offset: number): number {
    return this.read(offset, 2);
  }
  readl_relaxed(offset: number): number {
    return this.read(offset, 4);
  }
  readq_relaxed(offset: number): bigint {
    return this.read64(offset);
  }

  writeb(value: number, offset: number): void {
    this.write(value, offset, 1);
  }
  writew(value: number, offset: number): void {
    this.write(value, offset, 2);
  }
  writel(value: number, offset: number): void {
    this.write(value, offset, 4);
  }
  writeq(value: bigint, offset: number): void {
    this.write64(value, offset);
  }
  writeb_relaxed(value: number, offset: number): void {
    this.write(value, offset, 1);
  }
  writew_relaxed(value: number, offset: number): void {
    this.write(value, offset, 2);
  }
  writel_relaxed(value: number, offset: number): void {
    this.write(value, offset, 4);
  }
  writeq_relaxed(value: bigint, offset: number): void {
    this.write64(value, offset);
  }

  ioread8(offset: number): number {
    return this.read(offset, 1);
  }
  ioread16(offset: number): number {
    return this.read(offset, 2);
  }
  ioread32(offset: number): number {
    return this.read(offset, 4);
  }
  ioread64(offset: number): bigint {
    return this.read64(offset);
  }
  ioread16be(offset: number): number {
    return swab16(this.read(offset, 2));
  }
  ioread32be(offset: number): number {
    return swab32(this.read(offset, 4));
  }
  iowrite8(value: number, offset: number): void {
    this.write(value, offset, 1);
  }
  iowrite16(value: number, offset: number): void {
    this.write(value, offset, 2);
  }
  iowrite32(value: number, offset: number): void {
    this.write(value, offset, 4);
  }
  iowrite64(value: bigint, offset: number): void {
    this.write64(value, offset);
  }
  iowrite16be(value: number, offset: number): void {
    this.access(offset, 2);
    this.device.write(offset, 2, swab16(checkValue(value, 2)));
  }
  iowrite32be(value: number, offset: number): void {
    this.access(offset, 4);
    this.device.write(offset, 4, swab32(checkValue(value, 4)));
  }

  memcpy_fromio(dst: Uint8Array, offset: number, count: number): void {
    checkBuffer(dst, Uint8Array, 'dst');
    if (!this.isMapped) throw unmappedError(this.path);
    checkBlock(offset, count, this.size, dst.byteLength);
    const out = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
    forEachChunk(offset, count, (at, width, index) => {
      const value = this.device.read(at, width);
      setLittleEndian(out, index, width, value);
    });
  }

  memcpy_toio(offset: number, src: Uint8Array, count: number): void {
    checkBuffer(src, Uint8Array, 'src');
    if (!this.isMapped) throw unmappedError(this.path);
    checkBlock(offset, count, this.size, src.byteLength);
    const from = new DataView(src.buffer, src.byteOffset, src.byteLength);
    forEachChunk(offset, count, (at, width, index) => {
      this.device.write(at, width, getLittleEndian(from, index, width));
    });
  }

  memset_io(offset: number, value: number, count: number): void {
    const byte = checkValue(value, 1);
    if (!this.isMapped) throw unmappedError(this.path);
    checkBlock(offset, count, this.size);
    const pattern = { 1: byte, 2: byte * 0x101, 4: (byte * 0x0101_0101) >>> 0, 8: BigInt(byte) * 0x0101_0101_0101_0101n };
    forEachChunk(offset, count, (at, width) => this.device.write(at, width, pattern[width]));
  }

  ioread8_rep(offset: number, dst: Uint8Array, count: number): void {
    this.readRep(offset, dst, count, 1, Uint8Array);
  }
  ioread16_rep(offset: number, dst: Uint16Array, count: number): void {
    this.readRep(offset, dst, count, 2, Uint16Array);
  }
  ioread32_rep(offset: number, dst: Uint32Array, count: number): void {
    this.readRep(offset, dst, count, 4, Uint32Array);
  }
  iowrite8_rep(offset: number, src: Uint8Array, count: number): void {
    this.writeRep(offset, src, count, 1, Uint8Array);
  }
  iowrite16_rep(offset: number, src: Uint16Array, count: number): void {
    this.writeRep(offset, src, count, 2, Uint16Array);
  }
  iowrite32_rep(offset: number, src: Uint32Array, count: number): void {
    this.writeRep(offset, src, count, 4, Uint32Array);
  }

  private readRep<T extends Uint8Array | Uint16Array | Uint32Array>(
    offset: number,
    dst: T,
    count: number,
    width: 1 | 2 | 4,
    ctor: { new (n: number): T; name: string },
  ): void {
    checkBuffer(dst, ctor, 'dst');
    this.access(offset, width);
    checkRepCount(count, dst.length);
    for (let i = 0; i < count; i++) dst[i] = this.device.read(offset, width) as number;
  }

  private writeRep<T extends Uint8Array | Uint16Array | Uint32Array>(
    offset: number,
    src: T,
    count: number,
    width: 1 | 2 | 4,
    ctor: { new (n: number): T; name: string },
  ): void {
    checkBuffer(src, ctor, 'src');
    this.access(offset, width);
    checkRepCount(count, src.length);
    for (let i = 0; i < count; i++) this.device.write(offset, width, src[i]);
  }

  readb_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    this.access(offset, 1);
    return pollAtomic('readb_poll_timeout_atomic', () => this.readb(offset), offset, cond, delayUs, timeoutUs, this.path);
  }
  readw_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    this.access(offset, 2);
    return pollAtomic('readw_poll_timeout_atomic', () => this.readw(offset), offset, cond, delayUs, timeoutUs, this.path);
  }
  readl_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    this.access(offset, 4);
    return pollAtomic('readl_poll_timeout_atomic', () => this.readl(offset), offset, cond, delayUs, timeoutUs, this.path);
  }
  readq_poll_timeout_atomic(offset: number, cond: PollCondition<bigint>, delayUs: number, timeoutUs: number): bigint {
    this.access(offset, 8);
    return pollAtomic('readq_poll_timeout_atomic', () => this.readq(offset), offset, cond, delayUs, timeoutUs, this.path);
  }
  async readb_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number): Promise<number> {
    this.access(offset, 1);
    return pollAsync('readb_poll_timeout', () => this.readb(offset), offset, cond, sleepUs, timeoutUs, this.path);
  }
  async readw_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number): Promise<number> {
    this.access(offset, 2);
    return pollAsync('readw_poll_timeout', () => this.readw(offset), offset, cond, sleepUs, timeoutUs, this.path);
  }
  async readl_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number): Promise<number> {
    this.access(offset, 4);
    return pollAsync('readl_poll_timeout', () => this.readl(offset), offset, cond, sleepUs, timeoutUs, this.path);
  }
  async readq_poll_timeout(offset: number, cond: PollCondition<bigint>, sleepUs: number, timeoutUs: number): Promise<bigint> {
    this.access(offset, 8);
    return pollAsync('readq_poll_timeout', () => this.readq(offset), offset, cond, sleepUs, timeoutUs, this.path);
  }

  /** Unmap (kernel `iounmap`): later accesses throw `ERR_IOMEM_UNMAPPED`; a second call does nothing. */
  iounmap(): void {
    this.isMapped = false;
  }

  /** Same as {@link DeviceRegion.iounmap}, for `using`. */
  [Symbol.dispose](): void {
    this.iounmap();
  }
}

/** A `_rep` count: an integer 0..buffer length (elements). Uses checkBlock so messages match the native side. */
function checkRepCount(count: number, length: number): void {
  // The offset was checked by the caller and every element goes to that same offset: only the count matters here.
  checkBlock(0, count, Infinity, length);
}
