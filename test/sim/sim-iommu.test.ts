/** SimIommu's own bookkeeping: the live-buffer count a driver's leak check reads (lib/sim/sim-iommu.ts). */
import { describe, expect, it } from 'vitest';
import { SimIommu } from '../../lib/sim/sim-iommu.js';

describe('SimIommu.liveBuffers', () => {
  it('counts buffers allocated and not freed; a second free and freeAll keep it exact', () => {
    const iommu = new SimIommu();
    expect(iommu.liveBuffers).toBe(0);
    const a = iommu.allocCoherent(4096);
    const b = iommu.allocCoherent(100);
    iommu.allocCoherent(8192);
    expect(iommu.liveBuffers).toBe(3);
    iommu.freeCoherent(a);
    iommu.freeCoherent(a); // does nothing
    expect(iommu.liveBuffers).toBe(2);
    iommu.freeCoherent(b);
    expect(iommu.liveBuffers).toBe(1);
    iommu.freeAll();
    expect(iommu.liveBuffers).toBe(0);
  });
});
