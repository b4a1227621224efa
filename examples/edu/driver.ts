/**
 * An example driver for QEMU's `edu` PCI device (PCI 1234:11e8; registers in QEMU docs/specs/edu.rst), written
 * only against {@link IoRegion} and {@link InterruptSource}, so it runs unchanged on the simulated edu and on the
 * real one mapped through /dev/mem, the PCI resource0 file or a UIO map. Shaped like a kernel driver: register
 * constants, `readl`/`writel`, `readl_poll_timeout`, and an interrupt handler that acknowledges the device.
 *
 * The registers come from {@link EDU_REGMAP} (lib/regmap/edu.ts), the register map the simulated edu is generated
 * from: the driver reads and writes them by name through typed accessors (`EDU_REGMAP.attach(regs)`), which make
 * exactly the `readl`/`writel` calls hand-written code would, and the constants below are taken from the map.
 * @module
 */
import {
  DMA_BIT_MASK,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_set_mask,
  EDU_REGMAP,
  pci_set_master,
  type DmaDevice,
  type InterruptEvent,
  type InterruptSource,
  type IoRegion,
  type PciConfigSpace,
} from '../../lib/index.js';

export { EDU_REGMAP };

/** The driver's typed view of an edu BAR0 (cached per region by the map). */
const edu = (regs: IoRegion) => EDU_REGMAP.attach(regs);

/**
 * Identification (read-only): `0xRRrr00ed`. Register offsets are bytes into BAR0; edu answers only 32-bit
 * accesses to the registers below 0x80 (8/16-bit reads return 0).
 */
export const EDU_REG_ID = EDU_REGMAP.offset('ID');
/** Liveness check: reads back the bitwise NOT of the last value written. */
export const EDU_REG_LIVENESS = EDU_REGMAP.offset('LIVENESS');
/** Factorial: write n; once EDU_STATUS_COMPUTING clears, it reads n! (modulo 2^32). */
export const EDU_REG_FACTORIAL = EDU_REGMAP.offset('FACTORIAL');
/** Status: EDU_STATUS_COMPUTING (read-only) and EDU_STATUS_IRQ_FACTORIAL (read-write). */
export const EDU_REG_STATUS = EDU_REGMAP.offset('STATUS');
/** Interrupt status: the bits raised and not yet acknowledged. */
export const EDU_REG_IRQ_STATUS = EDU_REGMAP.offset('IRQ_STATUS');
/** Interrupt raise (write-only): ORs the value into the interrupt status and asserts the interrupt. */
export const EDU_REG_IRQ_RAISE = EDU_REGMAP.offset('IRQ_RAISE');
/** Interrupt acknowledge (write-only): clears the bits written from the interrupt status. */
export const EDU_REG_IRQ_ACK = EDU_REGMAP.offset('IRQ_ACK');

/** Status bit 0: a factorial is being computed. */
export const EDU_STATUS_COMPUTING = EDU_REGMAP.mask('STATUS', 'COMPUTING');
/** Status bit 7: raise EDU_IRQ_FACTORIAL when a factorial is done. */
export const EDU_STATUS_IRQ_FACTORIAL = EDU_REGMAP.mask('STATUS', 'IRQ_FACTORIAL');
/** Interrupt status bit the device raises when a factorial is done (with EDU_STATUS_IRQ_FACTORIAL set). */
export const EDU_IRQ_FACTORIAL = EDU_REGMAP.mask('IRQ_STATUS', 'FACTORIAL');

/** The identification register's fixed low half: `0xRRrr00ed` ends in 0x00ed. */
export const EDU_ID_MAGIC = EDU_REGMAP.spec.registers.ID.fields.MAGIC.values.EDU;
/** Mask of the fixed part of the identification register. */
export const EDU_ID_MAGIC_MASK = EDU_REGMAP.mask('ID', 'MAGIC');

/** Default poll interval between status reads, in microseconds. */
export const EDU_POLL_SLEEP_US = 10;
/** Default poll timeout, in microseconds (1 s: generous, as the emulated device on a loaded host can take 100 ms). */
export const EDU_POLL_TIMEOUT_US = 1_000_000;

/** An error from the driver: `code` `ENODEV` (not an edu) or `EIO` (the device answered wrongly). */
export interface EduError extends Error {
  code: 'ENODEV' | 'EIO';
}

function eduError(code: EduError['code'], message: string): EduError {
  const err = new Error(message) as EduError;
  err.code = code;
  return err;
}

/** What {@link eduIdentify} found. */
export interface EduIdentity {
  /** The identification register as read (unsigned 32-bit), e.g. 0x010000ed. */
  id: number;
  /** Major version (bits 31..24). */
  major: number;
  /** Minor version (bits 23..16). */
  minor: number;
}

/**
 * Read and check the identification register (0x00, `0xRRrr00ed`) and decode the version.
 * @throws EduError `ENODEV` if the low 16 bits are not 0x00ed (not an edu, or nothing answering).
 */
export function eduIdentify(regs: IoRegion): EduIdentity {
  const id = edu(regs).read('ID');
  const { MAGIC, MAJOR, MINOR } = EDU_REGMAP.decode('ID', id);
  if (EDU_REGMAP.valueName('ID', 'MAGIC', MAGIC) !== 'EDU') {
    throw eduError('ENODEV', `not an edu device: identification reads 0x${id.toString(16).padStart(8, '0')}, expected 0xRRrr00ed`);
  }
  return { id, major: MAJOR, minor: MINOR };
}

/**
 * Liveness check: write `pattern` (32-bit) to 0x04 and read back its bitwise NOT.
 * @returns the value read back (unsigned 32-bit).
 * @throws EduError `EIO` if the read-back is not `~pattern`.
 */
export function eduCheckLiveness(regs: IoRegion, pattern = 0x1234_5678): number {
  const r = edu(regs);
  r.write('LIVENESS', pattern);
  const back = r.read('LIVENESS');
  const expected = ~pattern >>> 0;
  if (back !== expected) {
    throw eduError('EIO', `liveness check failed: wrote 0x${(pattern >>> 0).toString(16)}, read 0x${back.toString(16)}, expected 0x${expected.toString(16)}`);
  }
  return back;
}

/** Poll timing for the factorial operations. */
export interface EduPollOptions {
  /** Microseconds between status reads. Default {@link EDU_POLL_SLEEP_US}. */
  sleepUs?: number;
  /** Microseconds before giving up. Default {@link EDU_POLL_TIMEOUT_US}. */
  timeoutUs?: number;
}

/**
 * Compute n! on the device: write n to 0x08, poll status bit 0 with `readl_poll_timeout` (sleeping, the event
 * loop keeps running) until it clears, read 0x08. edu computes in 32 bits, so the result is n! modulo 2^32.
 * A write while a factorial is running is ignored by the device.
 * @param n a 32-bit unsigned integer
 * @returns n! modulo 2^32
 * @throws (rejects) Error `ETIMEDOUT` (with `.value` = the last status) if the device stays busy; the region's
 *   argument errors (`ERR_OUT_OF_RANGE`, `ERR_INVALID_ARG_TYPE`) for a bad n.
 */
export async function eduFactorial(regs: IoRegion, n: number, options: EduPollOptions = {}): Promise<number> {
  const { sleepUs = EDU_POLL_SLEEP_US, timeoutUs = EDU_POLL_TIMEOUT_US } = options;
  const r = edu(regs);
  r.write('FACTORIAL', n);
  await r.fieldPollTimeout('STATUS', { COMPUTING: 0 }, sleepUs, timeoutUs);
  return r.read('FACTORIAL');
}

/**
 * {@link eduFactorial} with `readl_poll_timeout_atomic`: busy-waits (blocking the thread), `sleepUs` being the
 * spin delay between reads (default 0). For short waits where latency matters more than the event loop.
 * @throws Error `ETIMEDOUT` (with `.value`) if the device stays busy; the region's argument errors.
 */
export function eduFactorialAtomic(regs: IoRegion, n: number, options: EduPollOptions = {}): number {
  const { sleepUs = 0, timeoutUs = EDU_POLL_TIMEOUT_US } = options;
  const r = edu(regs);
  r.write('FACTORIAL', n);
  r.fieldPollTimeoutAtomic('STATUS', { COMPUTING: 0 }, sleepUs, timeoutUs);
  return r.read('FACTORIAL');
}

/** Options of the interrupt operations. */
export interface EduIrqOptions {
  /** Milliseconds to wait for the interrupt. Default 1000. */
  timeoutMs?: number;
  /** Aborts the wait (rejects with code `ABORT_ERR`). */
  signal?: AbortSignal;
}

/** What one handled interrupt looked like. */
export interface EduIrqResult {
  /** The interrupt source's event. */
  event: InterruptEvent;
  /** The interrupt status register (0x24) read in the handler, before acknowledging. */
  status: number;
}

/** Default value {@link eduInterruptRoundTrip} raises: a bit the device itself never uses. */
export const EDU_IRQ_TEST = 0x0001_0000;

/**
 * The interrupt handler's body: read the interrupt status (0x24), acknowledge those bits (write 0x64), unmask.
 * @returns the status read.
 */
export function eduHandleIrq(regs: IoRegion, irq: InterruptSource): number {
  const r = edu(regs);
  const status = r.read('IRQ_STATUS');
  r.write('IRQ_ACK', status);
  irq.unmask();
  return status;
}

/**
 * Interrupt round trip: unmask, raise `value` through 0x60, wait for the interrupt, then handle it
 * ({@link eduHandleIrq}: read 0x24, acknowledge it through 0x64, unmask).
 * @param value the bits to raise (non-zero 32-bit); default {@link EDU_IRQ_TEST}
 * @throws (rejects) Error `ETIMEDOUT` if no interrupt comes within `timeoutMs`; `ABORT_ERR` on abort;
 *   `ERR_IRQ_CLOSED` if the source is closed; EduError `EIO` if the status does not hold `value`.
 */
export async function eduInterruptRoundTrip(
  regs: IoRegion,
  irq: InterruptSource,
  value = EDU_IRQ_TEST,
  options: EduIrqOptions = {},
): Promise<EduIrqResult> {
  const { timeoutMs = 1000, signal } = options;
  irq.unmask();
  edu(regs).write('IRQ_RAISE', value);
  const event = await irq.wait({ timeoutMs, signal });
  const status = eduHandleIrq(regs, irq);
  if ((status & value) >>> 0 !== value >>> 0) {
    throw eduError('EIO', `interrupt status 0x${status.toString(16)} does not hold the raised 0x${(value >>> 0).toString(16)}`);
  }
  return { event, status };
}

/**
 * Compute n! and wait for the device's "factorial done" interrupt instead of polling: set status bit 7, write n,
 * wait, handle the interrupt, clear bit 7 again, read 0x08.
 * @returns n! modulo 2^32 and the interrupt handled.
 * @throws (rejects) as {@link eduInterruptRoundTrip}; EduError `EIO` if the interrupt is not EDU_IRQ_FACTORIAL.
 */
export async function eduFactorialIrq(
  regs: IoRegion,
  irq: InterruptSource,
  n: number,
  options: EduIrqOptions = {},
): Promise<EduIrqResult & { result: number }> {
  const { timeoutMs = 1000, signal } = options;
  const r = edu(regs);
  irq.unmask();
  r.writeFields('STATUS', { IRQ_FACTORIAL: 1 });
  try {
    r.write('FACTORIAL', n);
    const event = await irq.wait({ timeoutMs, signal });
    const status = eduHandleIrq(regs, irq);
    if (EDU_REGMAP.get('IRQ_STATUS', 'FACTORIAL', status) === 0) {
      throw eduError('EIO', `interrupt status 0x${status.toString(16)} lacks the factorial bit 0x${EDU_IRQ_FACTORIAL.toString(16)}`);
    }
    return { event, status, result: r.read('FACTORIAL') };
  } finally {
    r.write('STATUS', 0);
  }
}

/** DMA source bus address (64-bit; edu answers 32- and 64-bit accesses from 0x80 on). */
export const EDU_REG_DMA_SRC = 0x80;
/** DMA destination bus address. */
export const EDU_REG_DMA_DST = 0x88;
/** DMA transfer count in bytes. */
export const EDU_REG_DMA_COUNT = 0x90;
/** DMA command: bit 0 start (reads 1 while running), bit 1 direction (1: edu to RAM), bit 2 interrupt when done. */
export const EDU_REG_DMA_CMD = 0x98;
/** Command bits. */
export const EDU_DMA_CMD_START = 1;
export const EDU_DMA_CMD_TO_RAM = 2;
export const EDU_DMA_CMD_IRQ = 4;
/** edu's DMA buffer, as a device-side address. */
export const EDU_DMA_BUFFER = 0x40000n;
/** Most bytes one edu DMA moves (QEMU 7.2 aborts on the full 4096). */
export const EDU_DMA_MAX = 4095;
/** edu's DMA mask: 28 bits (its `dma_mask` property). */
export const EDU_DMA_MASK_BITS = 28;

/** What {@link eduDmaRoundTrip} did. */
export interface EduDmaResult {
  /** Bytes moved each way. */
  size: number;
  /** The bus addresses of the two buffers (source, destination). */
  handles: [bigint, bigint];
  /** True when the bytes came back unchanged. */
  match: boolean;
}

async function eduDmaTransfer(regs: IoRegion, src: bigint, dst: bigint, count: number, toRam: boolean, options: EduPollOptions): Promise<void> {
  const { sleepUs = 1000, timeoutUs = 2_000_000 } = options;
  regs.writeq(src, EDU_REG_DMA_SRC);
  regs.writeq(dst, EDU_REG_DMA_DST);
  regs.writeq(BigInt(count), EDU_REG_DMA_COUNT);
  regs.writeq(BigInt(EDU_DMA_CMD_START | (toRam ? EDU_DMA_CMD_TO_RAM : 0)), EDU_REG_DMA_CMD);
  await regs.readl_poll_timeout(EDU_REG_DMA_CMD, (v) => (v & EDU_DMA_CMD_START) === 0, sleepUs, timeoutUs);
}

/**
 * A DMA round trip through edu's engine, as a kernel driver does it: bus mastering on (pci_set_master), the
 * device's 28-bit mask (dma_set_mask), two coherent buffers (dma_alloc_coherent), `data` copied RAM → edu buffer
 * → RAM, both transfers polled to completion, the buffers freed. `dev` is what the backend gives: a VFIO device
 * or the simulated edu (both DmaDevice and PciConfigSpace).
 * @throws RangeError `ERR_OUT_OF_RANGE` for 0 or more than {@link EDU_DMA_MAX} bytes; `ETIMEDOUT` if the engine stays
 *   busy; the backend's DMA errors (`ENOSPC`, `ENOMEM`…).
 */
export async function eduDmaRoundTrip(regs: IoRegion, dev: DmaDevice & PciConfigSpace, data: Uint8Array, options: EduPollOptions = {}): Promise<EduDmaResult> {
  if (data.byteLength < 1 || data.byteLength > EDU_DMA_MAX) {
    throw Object.assign(new RangeError(`edu moves 1..${EDU_DMA_MAX} bytes per DMA, not ${data.byteLength}`), { code: 'ERR_OUT_OF_RANGE' });
  }
  pci_set_master(dev);
  dma_set_mask(dev, DMA_BIT_MASK(EDU_DMA_MASK_BITS));
  const src = dma_alloc_coherent(dev, data.byteLength);
  try {
    const dst = dma_alloc_coherent(dev, data.byteLength);
    try {
      src.cpu.set(data);
      await eduDmaTransfer(regs, src.dma_handle, EDU_DMA_BUFFER, data.byteLength, false, options);
      await eduDmaTransfer(regs, EDU_DMA_BUFFER, dst.dma_handle, data.byteLength, true, options);
      const match = dst.cpu.every((v, i) => v === data[i]);
      return { size: data.byteLength, handles: [src.dma_handle, dst.dma_handle], match };
    } finally {
      dma_free_coherent(dev, dst);
    }
  } finally {
    dma_free_coherent(dev, src);
  }
}
