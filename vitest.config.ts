import { defineConfig } from 'vitest/config';

// The default suite: simulated backend and native paths on file mappings; runs anywhere.
// Hardware tests (test/hw/, test/hw-nommu/) run only inside the QEMU guest: see vitest.hw.config.ts and
// `npm run test:vm`, vitest.hw-nommu.config.ts and `npm run test:vm:nommu`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/hw/**', 'test/hw-nommu/**', 'node_modules/**'],
    testTimeout: 20_000,
  },
});
