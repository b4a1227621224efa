import { describe, expect, it } from 'vitest';
import {
  DMA_BIT_MASK,
  checkDmaMask,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_map_single,
  dma_set_mask,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_unmap_single,
  type DmaCoherent,
  type DmaDevice,
} from '../../lib/core/dma.js';

/** A DmaDevice whose "device" is this test: buffers in a map by handle. */
function fakeDevice(): DmaDevice & { bus: Map<bigint, DmaCoherent>; freed: bigint[] } {
  let next = 0x1000n;
  const bus = new Map<bigint, DmaCoherent>();
  const freed: bigint[] = [];
  let mask = DMA_BIT_MASK(32);
  return {
    bus,
    freed,
    get dmaMask() {
      return mask;
    },
    setDmaMask(m) {
      mask = checkDmaMask(m);
    },
    allocCoherent(size) {
      const b = { cpu: new Uint8Array(size), dma_handle: next, size };
      next += 0x1000n;
      bus.set(b.dma_handle, b);
      return b;
    },
    freeCoherent(b) {
      bus.delete(b.dma_handle);
      freed.push(b.dma_handle);
    },
  };
}

describe('DMA API (kernel names)', () => {
  it('DMA_BIT_MASK', () => {
    expect(DMA_BIT_MASK(32)).toBe(0xffff_ffffn);
    expect(DMA_BIT_MASK(64)).toBe((1n << 64n) - 1n);
    expect(DMA_BIT_MASK(0)).toBe(0n);
    expect(() => DMA_BIT_MASK(65)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => DMA_BIT_MASK(1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('dma_set_mask checks the mask', () => {
    const d = fakeDevice();
    dma_set_mask(d, DMA_BIT_MASK(28));
    expect(d.dmaMask).toBe(DMA_BIT_MASK(28));
    expect(() => dma_set_mask(d, 0x10n)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => dma_set_mask(d, 32 as unknown as bigint)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => dma_set_mask(d, 1n << 64n)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('dma_map_single DMA_TO_DEVICE copies in at map time and never back', () => {
    const d = fakeDevice();
    const data = Uint8Array.of(1, 2, 3);
    const m = dma_map_single(d, data, 'DMA_TO_DEVICE');
    const bounce = d.bus.get(m.dma_handle)!;
    expect(Array.from(bounce.cpu)).toEqual([1, 2, 3]);
    bounce.cpu[0] = 9; // the device "writes" (it should not, but the caller's memory must stay as it was)
    dma_unmap_single(d, m);
    expect(Array.from(data)).toEqual([1, 2, 3]);
    expect(d.freed).toEqual([m.dma_handle]);
  });

  it('DMA_FROM_DEVICE does not expose the caller bytes and copies back at sync and unmap', () => {
    const d = fakeDevice();
    const data = Uint8Array.of(7, 7, 7, 7);
    const m = dma_map_single(d, data, 'DMA_FROM_DEVICE');
    const bounce = d.bus.get(m.dma_handle)!;
    expect(Array.from(bounce.cpu)).toEqual([0, 0, 0, 0]);
    bounce.cpu.set([1, 2, 3, 4]);
    dma_sync_single_for_cpu(d, m);
    expect(Array.from(data)).toEqual([1, 2, 3, 4]);
    bounce.cpu.set([5, 6, 7, 8]);
    dma_unmap_single(d, m);
    dma_unmap_single(d, m); // a second unmap does nothing
    expect(Array.from(data)).toEqual([5, 6, 7, 8]);
    expect(d.freed.length).toBe(1);
  });

  it('DMA_BIDIRECTIONAL both ways; sync_for_device pushes caller changes', () => {
    const d = fakeDevice();
    const data = Uint8Array.of(1, 1);
    const m = dma_map_single(d, data, 'DMA_BIDIRECTIONAL');
    data[1] = 2;
    dma_sync_single_for_device(d, m);
    expect(Array.from(d.bus.get(m.dma_handle)!.cpu)).toEqual([1, 2]);
    d.bus.get(m.dma_handle)!.cpu[0] = 3;
    dma_unmap_single(d, m);
    expect(Array.from(data)).toEqual([3, 2]);
  });

  it('refuses bad input with codes', () => {
    const d = fakeDevice();
    expect(() => dma_map_single(d, [1, 2] as unknown as Uint8Array, 'DMA_TO_DEVICE')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => dma_map_single(d, new Uint8Array(1), 'DMA_NONE' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => dma_map_single(d, new Uint8Array(0), 'DMA_TO_DEVICE')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => dma_unmap_single(d, { dma_handle: 1n, size: 1, direction: 'DMA_TO_DEVICE' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    const b = dma_alloc_coherent(d, 10);
    dma_free_coherent(d, b);
    expect(d.freed).toContain(b.dma_handle);
  });
});
