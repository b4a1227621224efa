// mmio's npm `install` step (package.json "install": "node tools/install.cjs"). See docs/install.md.
//
// The native addon is optional: everything but the Linux backends (mapFile, ioremap*, openUio, openPci,
// port I/O, request_mem_region, barriers) is plain JavaScript. So this step never fails the install:
//   - not Linux: nothing to build (the addon uses Linux interfaces only); say so and stop.
//   - Linux: node-gyp-build, which loads the prebuild that fits (linux-x64, linux-arm64, linux-arm/armv7,
//     glibc) and otherwise compiles with node-gyp (needs make, a C++17 compiler and python3). If that
//     fails, the install still succeeds and the native entry points throw ERR_MMIO_NATIVE_UNAVAILABLE
//     with a hint, at the first call (never at import).
// MMIO_REQUIRE_NATIVE=1 makes a missing addon fail the install instead (for a board's own CI).
'use strict';
const { spawnSync } = require('node:child_process');

const required = process.env.MMIO_REQUIRE_NATIVE === '1';
const say = (line) => process.stderr.write(`mmio: ${line}\n`);

if (process.platform !== 'linux') {
  say(`no native addon on ${process.platform} (the Linux backends need Linux); the simulator, register maps and record/replay work.`);
  process.exit(required ? 1 : 0);
}

const bin = require.resolve('node-gyp-build/bin.js');
const run = spawnSync(process.execPath, [bin], { stdio: 'inherit' });
if (run.status === 0) process.exit(0);

say(`no prebuild for linux-${process.arch} fits and building from source failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`}).`);
say('The simulator works; mapFile/ioremap/openUio/openPci throw ERR_MMIO_NATIVE_UNAVAILABLE.');
say('To build the addon: install make, g++ (C++17) and python3, then run `npm rebuild mmio`.');
process.exit(required ? 1 : 0);
