/**
 * A trace of a device's DMA buffer management: `dma_set_mask`, `dma_alloc_coherent`, `dma_free_coherent` (and so
 * `dma_map_single` / `dma_unmap_single`, which use them), for any {@link DmaDevice} (a VFIO device, the simulated
 * edu). Register accesses are traced by `traceRegion` as always; together they show what a driver did. DMA
 * payloads are **not** traced (the device moves them, not the CPU: no access to see), only sizes and bus
 * addresses. Record/replay does record them, as diffs at sync points: `recordRegion(..., { dma })`
 * (lib/observe/dma-record.ts).
 * @module
 */
import type { DmaCoherent, DmaDevice } from '../core/dma.js';

/** One DMA management call. */
export interface DmaTraceEntry {
  /** `set-mask`, `alloc` or `free`. */
  op: 'set-mask' | 'alloc' | 'free';
  /** `alloc`/`free`: the buffer's size in bytes. */
  size?: number;
  /** `alloc`/`free`: the buffer's bus address. */
  dma_handle?: bigint;
  /** `set-mask`: the mask. */
  mask?: bigint;
  /** `process.hrtime.bigint()` when the call returned. */
  timeNs: bigint;
}

/** A device whose DMA calls are traced into its `dmaTrace` array. */
export type DmaTraced<D extends DmaDevice> = D & { readonly dmaTrace: DmaTraceEntry[] };

/**
 * Wrap `dev` so that its DMA management calls are recorded (calls that throw record nothing). Every other property
 * and method is the device's own (config space, interrupts, `map`…).
 * @param trace the array to append to (default: a new one)
 */
export function traceDma<D extends DmaDevice>(dev: D, trace: DmaTraceEntry[] = []): DmaTraced<D> {
  const now = (): bigint => process.hrtime.bigint();
  const wrapped: Partial<DmaDevice> & { dmaTrace: DmaTraceEntry[] } = {
    dmaTrace: trace,
    setDmaMask(mask: bigint): void {
      dev.setDmaMask(mask);
      trace.push({ op: 'set-mask', mask, timeNs: now() });
    },
    allocCoherent(size: number): DmaCoherent {
      const b = dev.allocCoherent(size);
      trace.push({ op: 'alloc', size: b.size, dma_handle: b.dma_handle, timeNs: now() });
      return b;
    },
    freeCoherent(buffer: DmaCoherent): void {
      dev.freeCoherent(buffer);
      trace.push({ op: 'free', size: buffer.size, dma_handle: buffer.dma_handle, timeNs: now() });
    },
  };
  return new Proxy(dev as object, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(wrapped, prop)) return (wrapped as Record<PropertyKey, unknown>)[prop];
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as DmaTraced<D>;
}
