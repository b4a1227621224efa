import { defineConfig } from 'vitest/config';

// DMA without an IOMMU (npm run test:vm:nommu): the guest boots WITHOUT the IOMMU, so these cannot run in the
// main hardware suite's boot (which has one). Outside that guest every file fails in its setup, saying so.
export default defineConfig({
  test: {
    include: ['test/hw-nommu/**/*.hw.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
