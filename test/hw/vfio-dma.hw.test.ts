/**
 * DMA through the IOMMU with edu's engine (guest booted with --iommu): coherent buffers at IOVAs, round trips of
 * 1..4095 bytes, bus mastering, the device's 28-bit mask, unmapped IOVAs (the kernel's DMAR fault), streaming
 * mappings, freeing, and the allocator's limits.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DMA_BIT_MASK,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_map_single,
  dma_set_mask,
  dma_unmap_single,
  pci_clear_master,
  pci_set_master,
  vfioContainer,
  type DmaCoherent,
  type IoRegion,
  type VfioDevice,
} from '../../lib/index.js';
import { addon } from '../../lib/linux/addon.js';
import { recordRegion } from '../../lib/observe/record.js';
import { readRecording } from '../../lib/observe/recording-format.js';
import { replayRegion } from '../../lib/observe/replay.js';
import { eduDmaRoundTrip } from '../../examples/edu/driver.js';
import { EDU_DMA_BUF, eduDma, openVfioEdu } from './vfio-hw.js';

let dev: VfioDevice;
let bar: IoRegion;
let src: DmaCoherent;
let dst: DmaCoherent;
beforeAll(() => {
  ({ dev, bar } = openVfioEdu());
  pci_set_master(dev);
  dma_set_mask(dev, DMA_BIT_MASK(28)); // edu's dma_mask property: (1 << 28) - 1
  src = dma_alloc_coherent(dev, 4096);
  dst = dma_alloc_coherent(dev, 4096);
});
afterAll(() => dev?.close());

function pattern(n: number, seed: number): Uint8Array {
  const a = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = x & 0xff;
  }
  return a;
}

/** host src -> edu buffer -> host dst; returns what dst holds afterwards (all 4096 bytes). */
async function roundTrip(n: number, seed: number): Promise<{ sent: Uint8Array; got: Uint8Array }> {
  const sent = pattern(n, seed);
  src.cpu.fill(0);
  src.cpu.set(sent);
  dst.cpu.fill(0xa5);
  await eduDma(bar, src.dma_handle, EDU_DMA_BUF, n, false);
  await eduDma(bar, EDU_DMA_BUF, dst.dma_handle, n, true);
  return { sent, got: Uint8Array.from(dst.cpu) };
}

function dmesg(): string {
  return execFileSync('dmesg', { encoding: 'utf8' });
}

describe('VFIO DMA: coherent buffers', () => {
  it('gives page-aligned, zeroed buffers at distinct IOVAs below the mask, with exactly the size asked', () => {
    const b = dma_alloc_coherent(dev, 100);
    try {
      expect(b.cpu.byteLength).toBe(100);
      expect(b.cpu.every((v) => v === 0)).toBe(true);
      expect(b.dma_handle % 4096n).toBe(0n);
      expect(b.dma_handle).toBeGreaterThan(0n);
      expect(b.dma_handle + 4096n - 1n).toBeLessThanOrEqual(DMA_BIT_MASK(28));
      expect(new Set([b.dma_handle, src.dma_handle, dst.dma_handle]).size).toBe(3);
    } finally {
      dma_free_coherent(dev, b);
    }
    expect(b.cpu.byteLength).toBe(0); // the CPU view is detached: the memory is gone
  });

  it('round trips host -> edu -> host for sizes 1..4095: the bytes arrive, nothing beyond the count is touched', async () => {
    const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1000, 1023, 1024, 1025, 2047, 2048, 2049, 3000, 4000, 4094, 4095];
    for (const [i, n] of sizes.entries()) {
      const { sent, got } = await roundTrip(n, i + 1);
      expect(Buffer.from(got.subarray(0, n)).equals(Buffer.from(sent)), `size ${n}`).toBe(true);
      expect(got.subarray(n).every((v) => v === 0xa5), `bytes after ${n} untouched`).toBe(true);
    }
  }, 120_000);

  it('with bus mastering off a DMA "completes" and moves nothing; on again it moves', async () => {
    pci_clear_master(dev);
    try {
      const { got } = await roundTrip(64, 99);
      expect(got.every((v) => v === 0xa5)).toBe(true);
    } finally {
      pci_set_master(dev);
    }
    const { sent, got } = await roundTrip(64, 99);
    expect(Buffer.from(got.subarray(0, 64)).equals(Buffer.from(sent))).toBe(true);
  });

  it('the device truncates bus addresses to its 28-bit mask: a DMA to IOVA X + 2^28 lands at X', async () => {
    // Map a second buffer at dst's IOVA + 2^28 behind the allocator's back, as a driver with a wrong mask would.
    const high = dst.dma_handle + (1n << 28n);
    const native = addon();
    const extra = native.dmaAlloc(4096);
    const view = new Uint8Array(extra.buffer);
    vfioContainer().mapDma(extra.handle, high, 3);
    try {
      view.fill(0x11);
      const sent = pattern(256, 7);
      src.cpu.set(sent);
      dst.cpu.fill(0);
      await eduDma(bar, src.dma_handle, EDU_DMA_BUF, 256, false);
      await eduDma(bar, EDU_DMA_BUF, high, 256, true);
      expect(view.every((v) => v === 0x11)).toBe(true);
      expect(Buffer.from(dst.cpu.subarray(0, 256)).equals(Buffer.from(sent))).toBe(true);
    } finally {
      vfioContainer().unmapDma(high, 4096n);
      native.unmap(extra.handle);
    }
  });

  it('a DMA to an unmapped IOVA moves nothing and the kernel logs a DMAR fault', async () => {
    const unmapped = 0x0ff0_0000n; // below the mask, never allocated
    const before = dmesg().split('\n').length;
    dst.cpu.fill(0x5a);
    src.cpu.set(pattern(128, 3));
    await eduDma(bar, src.dma_handle, EDU_DMA_BUF, 128, false);
    await eduDma(bar, EDU_DMA_BUF, unmapped, 128, true);
    expect(dst.cpu.every((v) => v === 0x5a)).toBe(true);
    const fresh = dmesg().split('\n').slice(before - 1).join('\n');
    expect(fresh).toMatch(/DMAR: \[DMA Write/);
    expect(fresh).toContain(`fault addr 0x${unmapped.toString(16)}`);
  });

  it('after dma_free_coherent the device can no longer reach the old IOVA', async () => {
    const b = dma_alloc_coherent(dev, 4096);
    const iova = b.dma_handle;
    dma_free_coherent(dev, b);
    dma_free_coherent(dev, b); // a second free does nothing
    const before = dmesg().split('\n').length;
    await eduDma(bar, EDU_DMA_BUF, iova, 64, true);
    expect(dmesg().split('\n').slice(before - 1).join('\n')).toContain(`fault addr 0x${iova.toString(16)}`);
  });

  it('dma_map_single (bounce-buffered) moves caller memory both ways', async () => {
    const out = pattern(300, 42);
    const back = new Uint8Array(300);
    const toDev = dma_map_single(dev, out, 'DMA_TO_DEVICE');
    const fromDev = dma_map_single(dev, back, 'DMA_FROM_DEVICE');
    try {
      await eduDma(bar, toDev.dma_handle, EDU_DMA_BUF, 300, false);
      await eduDma(bar, EDU_DMA_BUF, fromDev.dma_handle, 300, true);
    } finally {
      dma_unmap_single(dev, toDev);
      dma_unmap_single(dev, fromDev);
    }
    expect(Buffer.from(back).equals(Buffer.from(out))).toBe(true);
  });

  it('the allocator honours the mask: a 12-bit mask leaves no IOVA (ENOSPC with a hint); a 28-bit mask never exceeds it', () => {
    dma_set_mask(dev, DMA_BIT_MASK(12));
    try {
      expect(() => dma_alloc_coherent(dev, 4096)).toThrow(expect.objectContaining({ code: 'ENOSPC', hint: expect.stringMatching(/DMA mask 0xfff/) }));
    } finally {
      dma_set_mask(dev, DMA_BIT_MASK(28));
    }
    const many = Array.from({ length: 64 }, () => dma_alloc_coherent(dev, 64 * 1024));
    try {
      for (const b of many) expect(b.dma_handle + 64n * 1024n - 1n).toBeLessThanOrEqual(DMA_BIT_MASK(28));
    } finally {
      for (const b of many) dma_free_coherent(dev, b);
    }
    expect(() => dma_set_mask(dev, 5n)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => dma_alloc_coherent(dev, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('MAP_DMA errors carry the ioctl, errno code and a hint (overlap: EEXIST; MSI window: EINVAL)', () => {
    const native = addon();
    const extra = native.dmaAlloc(4096);
    try {
      expect(() => vfioContainer().mapDma(extra.handle, src.dma_handle, 3)).toThrow(
        expect.objectContaining({ code: 'EEXIST', ioctl: 'VFIO_IOMMU_MAP_DMA', hint: expect.stringMatching(/overlaps/) }),
      );
      expect(() => vfioContainer().mapDma(extra.handle, 0xfee0_0000n, 3)).toThrow(
        expect.objectContaining({ code: 'EINVAL', ioctl: 'VFIO_IOMMU_MAP_DMA' }),
      );
    } finally {
      native.unmap(extra.handle);
    }
  });
});

describe('VFIO: record/replay of DMA', () => {
  it('a round trip recorded on the real edu replays with no device: the same result, the device bytes handed back', async () => {
    const file = join(tmpdir(), `mmio-vfio-dma-${process.pid}.jsonl`);
    const rec = recordRegion(bar, file, { dma: dev });
    const payload = pattern(3000, 99);
    const result = await eduDmaRoundTrip(rec, rec.dma, payload, { sleepUs: 1000 });
    rec.flush();
    expect(result.match).toBe(true);
    const recording = readRecording(file);
    expect(recording.header.version).toBe(2);
    // the payload is recorded twice at most (to the device, back from it), never the whole 4 KiB pages
    const recorded = recording.steps.reduce((n, s) => n + (s.op === 'dma-data' ? s.changes.reduce((m, c) => m + c.bytes.length, 0) : 0), 0);
    expect(recorded).toBeLessThanOrEqual(2 * payload.length);
    using replay = replayRegion(file);
    expect(await eduDmaRoundTrip(replay, replay.dma, payload)).toEqual(result);
    replay.finish();
    const changed = payload.slice();
    changed[0] ^= 1;
    using bad = replayRegion(file);
    await expect(eduDmaRoundTrip(bad, bad.dma, changed)).rejects.toMatchObject({ code: 'ERR_REPLAY_DIVERGED', message: expect.stringMatching(/DMA data differs before the write W64 \+0x080: buffer 1/) });
  });
});
