/**
 * edu's DMA engine (QEMU hw/misc/edu.c), for the simulated edu: registers 0x80 source, 0x88 destination, 0x90
 * count, 0x98 command (bit 0 start/busy, bit 1 direction: 1 = edu buffer to RAM, 0 = RAM to edu buffer; bit 2
 * raise interrupt status bit 8, 0x100, when done), a 4 KiB buffer at device address 0x40000, and a delay before
 * the transfer runs (QEMU: 100 ms). As the real device:
 * - the registers answer 32- and 64-bit accesses (a 32-bit write sets the whole register); 8/16-bit accesses
 *   read 0 and are ignored; other offsets from 0x80 on read all ones;
 * - writes to the registers while a transfer is running are ignored;
 * - the bus address is cut to the device's DMA mask (28 bits), so an address above it lands lower;
 * - with bus mastering off the transfer "completes" and moves nothing;
 * - an unmapped bus address faults in the IOMMU (reads give zeros, writes are dropped); the device never knows;
 * - a buffer range outside 0x40000..0x40ffe (count 0, or offset + count ≥ 4096) is where QEMU 7.2 aborts the
 *   whole machine ("EDU: DMA range ... out of bounds"): here nothing moves and an `out-of-bounds` entry is
 *   logged in {@link EduDmaEngine.errors}, so a driver bug fails in CI instead.
 * @module
 */
import type { AccessWidth } from '../core/io-region.js';
import type { BusValue } from '../core/bus-value.js';
import type { SimIommu } from './sim-iommu.js';

/** Device address of edu's DMA buffer. */
export const EDU_DMA_BUFFER_ADDR = 0x40000n;
/** Size of edu's DMA buffer in bytes. */
export const EDU_DMA_BUFFER_SIZE = 4096;
/** The engine's register window: 0x80..0x9f. */
export const EDU_DMA_REG_FIRST = 0x80;
export const EDU_DMA_REG_END = 0xa0;
const REG_SRC = 0x80;
const REG_DST = 0x88;
const REG_COUNT = 0x90;
const REG_CMD = 0x98;
const CMD_START = 1n;
const CMD_TO_RAM = 2n;
const CMD_IRQ = 4n;
const U64 = (1n << 64n) - 1n;

/** Options of {@link EduDmaEngine}. */
export interface EduDmaOptions {
  /** Milliseconds from the start command to the transfer (QEMU: 100). Default 10. */
  delayMs?: number;
  /** The device's own DMA mask in bits (edu's `dma_mask` property). Default 28. */
  maskBits?: number;
}

/** The engine. The edu model routes 0x80..0x9f here. */
export class EduDmaEngine {
  /** The 4 KiB buffer inside the device. */
  readonly buffer = new Uint8Array(EDU_DMA_BUFFER_SIZE);
  /** Transfers refused because their buffer range was out of bounds (where QEMU would abort). */
  readonly errors: { src: bigint; dst: bigint; count: bigint; message: string }[] = [];
  #src = 0n;
  #dst = 0n;
  #count = 0n;
  #cmd = 0n;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #delayMs: number;
  readonly #mask: bigint;

  constructor(
    readonly iommu: SimIommu,
    /** True while the device may master the bus (PCI_COMMAND bit 2). */
    readonly busMaster: () => boolean,
    /** Raises interrupt status bits (edu's raise). */
    readonly raise: (bits: number) => void,
    options: EduDmaOptions = {},
  ) {
    this.#delayMs = options.delayMs ?? 10;
    this.#mask = (1n << BigInt(options.maskBits ?? 28)) - 1n;
  }

  /** True while a transfer is pending. */
  get busy(): boolean {
    return (this.#cmd & CMD_START) !== 0n;
  }

  read(offset: number, width: AccessWidth): BusValue {
    if (width < 4) return 0;
    const value = offset === REG_SRC ? this.#src : offset === REG_DST ? this.#dst : offset === REG_COUNT ? this.#count : offset === REG_CMD ? this.#cmd : U64;
    return width === 8 ? value : Number(value & 0xffff_ffffn);
  }

  write(offset: number, width: AccessWidth, value: BusValue): void {
    if (width < 4 || this.busy) return;
    const v = typeof value === 'bigint' ? value : BigInt(value);
    if (offset === REG_SRC) this.#src = v;
    else if (offset === REG_DST) this.#dst = v;
    else if (offset === REG_COUNT) this.#count = v;
    else if (offset === REG_CMD && (v & CMD_START) !== 0n) {
      this.#cmd = v;
      this.#timer = setTimeout(() => this.#run(), this.#delayMs);
    }
  }

  /** Drop a pending transfer and clear the registers (device reset). */
  reset(): void {
    this.cancel();
    this.#src = this.#dst = this.#count = this.#cmd = 0n;
    this.buffer.fill(0);
  }

  /** Stop the timer (close). */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #run(): void {
    this.#timer = undefined;
    const toRam = (this.#cmd & CMD_TO_RAM) !== 0n;
    const inside = toRam ? this.#src : this.#dst;
    const off = inside - EDU_DMA_BUFFER_ADDR;
    const n = this.#count;
    if (!(inside >= EDU_DMA_BUFFER_ADDR && n > 0n && off + n < BigInt(EDU_DMA_BUFFER_SIZE))) {
      this.errors.push({ src: this.#src, dst: this.#dst, count: n, message: `EDU: DMA range 0x${inside.toString(16)}-0x${(inside + n - 1n).toString(16)} out of bounds (0x40000-0x40fff)` });
    } else {
      const bus = (toRam ? this.#dst : this.#src) & this.#mask;
      const count = Number(n);
      const at = Number(off);
      if (!this.busMaster()) {
        this.iommu.blocked(bus, count, toRam ? 'write' : 'read');
      } else if (toRam) {
        this.iommu.deviceWrite(bus, this.buffer.subarray(at, at + count));
      } else {
        this.buffer.set(this.iommu.deviceRead(bus, count), at);
      }
    }
    this.#cmd &= ~CMD_START;
    if ((this.#cmd & CMD_IRQ) !== 0n) this.raise(0x100);
  }
}
