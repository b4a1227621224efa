import { defineConfig } from 'vitest/config';

// The hardware suite: real devices in the QEMU guest (`npm run test:vm`). Outside the guest every file
// fails in its setup with a message saying so: these tests never skip silently.
export default defineConfig({
  test: {
    include: ['test/hw/**/*.hw.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One file at a time: the files share the edu devices and their UIO interrupt counts.
    fileParallelism: false,
  },
});
