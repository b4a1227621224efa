import { describe, expect, it } from 'vitest';
import { createSimEdu, pci_read_config_word, traceDma, traceRegion, withoutTime } from '../../lib/index.js';
import { eduDmaRoundTrip } from '../../examples/edu/driver.js';

describe('traceDma', () => {
  it('records mask, allocations and frees of a driver run (no payloads); the device stays usable through it', async () => {
    const edu = createSimEdu({ dmaDelayMs: 1 });
    try {
      const dev = traceDma(edu);
      const regs = traceRegion(edu.regs);
      const r = await eduDmaRoundTrip(regs, dev, Uint8Array.of(1, 2, 3));
      expect(r.match).toBe(true);
      expect(dev.dmaTrace.map(({ timeNs, ...e }) => e)).toEqual([
        { op: 'set-mask', mask: (1n << 28n) - 1n },
        { op: 'alloc', size: 3, dma_handle: 0x1000n },
        { op: 'alloc', size: 3, dma_handle: 0x2000n },
        { op: 'free', size: 3, dma_handle: 0x2000n },
        { op: 'free', size: 3, dma_handle: 0x1000n },
      ]);
      expect(pci_read_config_word(dev, 0)).toBe(0x1234); // other methods are the device's own
      expect(dev.dmaMask).toBe((1n << 28n) - 1n);
      expect(withoutTime(regs.trace).some((e) => e.offset === 0x98 && e.op === 'write')).toBe(true);
      expect(() => dev.allocCoherent(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(dev.dmaTrace).toHaveLength(5); // a call that throws records nothing
    } finally {
      edu.close();
    }
  });
});
