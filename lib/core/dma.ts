/**
 * DMA with the kernel's names (Documentation/core-api/dma-api.rst, include/linux/dma-mapping.h), for every
 * backend that can give a device memory at a bus address: VFIO (lib/linux/vfio-dma.ts: pinned memory mapped into
 * the IOMMU) and the simulator (lib/sim/sim-iommu.ts). A driver calls the free functions below on whatever device
 * it was handed, so the same driver code runs on both.
 *
 * Streaming mappings (`dma_map_single`) are bounce-buffered, as the kernel's swiotlb does: a coherent buffer is
 * allocated, the caller's bytes are copied in (to-device) and back out at unmap/sync (from-device). A JS buffer's
 * own memory is never handed to the device: V8 may free it once unreachable, and it shares pages with unrelated
 * heap data that the device could then read or overwrite.
 * @module
 */
import { describe } from './checks.js';
import { rangeError, typeError } from './errors.js';

/** A coherent DMA buffer: CPU and device see the same bytes without syncs (kernel `dma_alloc_coherent`). */
export interface DmaCoherent {
  /** The CPU's view: exactly `size` bytes, zeroed at allocation. Length 0 once freed (the memory is gone). */
  readonly cpu: Uint8Array;
  /** The bus address the device uses (kernel `dma_addr_t`): an IOVA under VFIO, a simulated bus address on the simulator. */
  readonly dma_handle: bigint;
  /** Size in bytes as asked (the mapping itself is whole IOMMU pages). */
  readonly size: number;
}

/** Something that allocates DMA memory for one device (a VFIO device, a simulated device's bus). */
export interface DmaDevice {
  /** The device's DMA mask: the highest bus address it can reach (default {@link DMA_BIT_MASK}(32)). */
  readonly dmaMask: bigint;
  /** Set the DMA mask (kernel `dma_set_mask`). @throws RangeError `ERR_OUT_OF_RANGE` for a mask below 0xfff or above 2^64-1. */
  setDmaMask(mask: bigint): void;
  /** Allocate a coherent buffer (kernel `dma_alloc_coherent`). */
  allocCoherent(size: number): DmaCoherent;
  /** Free a coherent buffer (kernel `dma_free_coherent`). A second free does nothing. */
  freeCoherent(buffer: DmaCoherent): void;
}

/** Kernel `DMA_BIT_MASK(n)`: the mask of an n-bit bus address, 2^n − 1 (n in 0..64). */
export function DMA_BIT_MASK(n: number): bigint {
  if (!Number.isInteger(n) || n < 0 || n > 64) throw rangeError('ERR_OUT_OF_RANGE', `DMA_BIT_MASK takes 0..64 bits, got ${String(n)}`, 'DMA_BIT_MASK(n) takes the number of address bits the device can drive: an integer 0..64, e.g. DMA_BIT_MASK(32).');
  return n === 64 ? (1n << 64n) - 1n : (1n << BigInt(n)) - 1n;
}

/** Check a DMA mask: a bigint in 0xfff..2^64-1. */
export function checkDmaMask(mask: bigint): bigint {
  if (typeof mask !== 'bigint') throw typeError('ERR_INVALID_ARG_TYPE', `a DMA mask is a bigint (DMA_BIT_MASK(n)), got ${describe(mask)}`, 'pass the mask as a bigint, e.g. DMA_BIT_MASK(32) (0xffffffffn), not a number.');
  if (mask < 0xfffn || mask > DMA_BIT_MASK(64)) throw rangeError('ERR_OUT_OF_RANGE', `DMA mask 0x${mask.toString(16)} must be in 0xfff..2^64-1`, 'a DMA mask covers at least one 4 KiB page and at most 64 bits: DMA_BIT_MASK(12)..DMA_BIT_MASK(64).');
  return mask;
}

/** Check a DMA allocation size: a positive safe integer number of bytes. */
export function checkDmaSize(size: number): number {
  if (typeof size !== 'number') throw typeError('ERR_INVALID_ARG_TYPE', `size must be a number of bytes, got ${describe(size)}`, 'size is a number of bytes, a positive safe integer, e.g. 4096.');
  if (!Number.isSafeInteger(size) || size <= 0) throw rangeError('ERR_OUT_OF_RANGE', `size must be a positive integer number of bytes, got ${size}`, 'size is a number of bytes, a positive safe integer, e.g. 4096.');
  return size;
}

/** Kernel `dma_set_mask(dev, mask)`: the addresses the device can reach for streaming and coherent DMA. */
export function dma_set_mask(dev: DmaDevice, mask: bigint): void {
  dev.setDmaMask(mask);
}

/** Kernel `dma_set_mask_and_coherent(dev, mask)`: the same as {@link dma_set_mask} here (one mask serves both). */
export function dma_set_mask_and_coherent(dev: DmaDevice, mask: bigint): void {
  dev.setDmaMask(mask);
}

/**
 * Kernel `dma_alloc_coherent(dev, size, &dma_handle, gfp)`: `size` bytes of zeroed, page-aligned memory that the
 * device reaches at `dma_handle` (below its DMA mask).
 * @throws the backend's errors (VFIO: `ENOSPC` no IOVA left below the mask, `ENOMEM` RLIMIT_MEMLOCK…).
 */
export function dma_alloc_coherent(dev: DmaDevice, size: number): DmaCoherent {
  return dev.allocCoherent(size);
}

/** Kernel `dma_free_coherent(dev, size, cpu_addr, dma_handle)`: unmap from the device, then free. */
export function dma_free_coherent(dev: DmaDevice, buffer: DmaCoherent): void {
  dev.freeCoherent(buffer);
}

/** Kernel `enum dma_data_direction`. */
export type DmaDirection = 'DMA_TO_DEVICE' | 'DMA_FROM_DEVICE' | 'DMA_BIDIRECTIONAL';

/** A streaming mapping of caller memory (kernel `dma_map_single`), bounce-buffered. */
export interface DmaStreamingMapping {
  /** The bus address to give the device. */
  readonly dma_handle: bigint;
  /** Bytes mapped. */
  readonly size: number;
  /** The direction it was mapped with. */
  readonly direction: DmaDirection;
}

interface Bounce {
  dev: DmaDevice;
  buffer: DmaCoherent;
  user: Uint8Array;
  live: boolean;
}
const bounces = new WeakMap<DmaStreamingMapping, Bounce>();
const DIRECTIONS: readonly DmaDirection[] = ['DMA_TO_DEVICE', 'DMA_FROM_DEVICE', 'DMA_BIDIRECTIONAL'];

/**
 * Kernel `dma_map_single(dev, ptr, size, dir)`: let the device reach `data` for one transfer. Bounce-buffered:
 * the bytes are copied to device-visible memory now (DMA_TO_DEVICE, DMA_BIDIRECTIONAL) and copied back into
 * `data` by {@link dma_unmap_single} / {@link dma_sync_single_for_cpu} (DMA_FROM_DEVICE, DMA_BIDIRECTIONAL).
 * @throws TypeError `ERR_INVALID_ARG_TYPE` (not a Uint8Array), RangeError `ERR_INVALID_ARG_VALUE` (direction),
 *   `ERR_OUT_OF_RANGE` (empty); the backend's allocation errors.
 */
export function dma_map_single(dev: DmaDevice, data: Uint8Array, direction: DmaDirection): DmaStreamingMapping {
  if (!(data instanceof Uint8Array)) throw typeError('ERR_INVALID_ARG_TYPE', `data must be a Uint8Array, got ${describe(data)}`, 'data is the bytes to map, as a Uint8Array (a Buffer is one).');
  if (!DIRECTIONS.includes(direction)) throw rangeError('ERR_INVALID_ARG_VALUE', `direction must be one of ${DIRECTIONS.join(', ')}, got ${String(direction)}`, `direction is one of the kernel's DMA directions: ${DIRECTIONS.join(', ')}.`);
  const buffer = dev.allocCoherent(checkDmaSize(data.byteLength));
  if (direction !== 'DMA_FROM_DEVICE') buffer.cpu.set(data);
  const mapping: DmaStreamingMapping = Object.freeze({ dma_handle: buffer.dma_handle, size: data.byteLength, direction });
  bounces.set(mapping, { dev, buffer, user: data, live: true });
  return mapping;
}

function bounceOf(mapping: DmaStreamingMapping): Bounce {
  const b = bounces.get(mapping);
  if (b === undefined) throw typeError('ERR_INVALID_ARG_VALUE', 'not a mapping made by dma_map_single', 'pass the exact object dma_map_single returned, once; a mapping already unmapped cannot be unmapped again.');
  return b;
}

/** Kernel `dma_sync_single_for_cpu`: copy what the device wrote into the caller's buffer (from-device directions). */
export function dma_sync_single_for_cpu(_dev: DmaDevice, mapping: DmaStreamingMapping): void {
  const b = bounceOf(mapping);
  if (b.live && mapping.direction !== 'DMA_TO_DEVICE') b.user.set(b.buffer.cpu.subarray(0, mapping.size));
}

/** Kernel `dma_sync_single_for_device`: copy the caller's bytes to the device-visible copy again (to-device directions). */
export function dma_sync_single_for_device(_dev: DmaDevice, mapping: DmaStreamingMapping): void {
  const b = bounceOf(mapping);
  if (b.live && mapping.direction !== 'DMA_FROM_DEVICE') b.buffer.cpu.set(b.user);
}

/** Kernel `dma_unmap_single`: sync for the CPU, then unmap. A second unmap does nothing. */
export function dma_unmap_single(dev: DmaDevice, mapping: DmaStreamingMapping): void {
  const b = bounceOf(mapping);
  if (!b.live) return;
  dma_sync_single_for_cpu(dev, mapping);
  b.live = false;
  b.dev.freeCoherent(b.buffer);
}
