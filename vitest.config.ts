import { defineConfig } from 'vitest/config';

// The default suite: simulated backend and native paths on file mappings; runs anywhere.
// Hardware tests (test/hw/) run only inside the QEMU guest: see vitest.hw.config.ts and `npm run test:vm`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/hw/**', 'node_modules/**'],
    testTimeout: 20_000,
  },
});
