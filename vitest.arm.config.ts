import { defineConfig } from 'vitest/config';

// The ARM checks (`npm run test:arm`): the disassembly of the arm64/armv7 prebuilds (needs `npm run build:prebuilds`
// and Debian's cross binutils: tools/arm/setup-cross.sh). Not in the default suite, which runs without them.
export default defineConfig({
  test: {
    include: ['test/arm/**/*.arm-test.ts'],
    testTimeout: 60_000,
  },
});
