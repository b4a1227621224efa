// A hot polling loop over one register, optimized by the JIT before the traced run starts.
// Run by watch-accesses (see watch-accesses.c) for test/access-width.test.ts, with --allow-natives-syntax:
//
//   node --allow-natives-syntax hot-loop.mjs <lib-dir> <mapped-file> <size> <region> <offset> <calls> <body>
//
// <region>: "fast" (mapFile: the shipped path for this machine), "native" (the native call path that
// arm64/armv7 use, forced here by telling the region it runs on arm64), or "raw" (plain typed arrays
// u8/u16/u32 over the mapping, for the deliberately wrong readers). <body> is one statement run per call,
// with r (the region), u8, u16, u32, bytes/halves/words (a Uint8Array/Uint16Array/Uint32Array(4) for the
// _rep calls), off and i in scope; it
// may add to `hits`.
//
// Prints "ready" once the loop is optimized, waits for "go" on stdin, runs it <calls> times on <offset>,
// then prints a JSON report: the calls made, and whether TurboFan's code ran the loop before and after.
import { readSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [libDir, path, sizeArg, regionKind, offsetArg, callsArg, body] = process.argv.slice(2);
const size = Number(sizeArg);
const offset = Number(offsetArg);
const calls = Number(callsArg);
const lib = (name) => import(pathToFileURL(join(libDir, name)).href);

const { addon } = await lib('linux/addon.js');
let r;
let u8, u16, u32, w;
if (regionKind === 'fast') {
  r = (await lib('linux/map-file.js')).mapFile(path, 0, size);
} else if (regionKind === 'fast-4k') {
  // A region that is not a whole number of 64 KiB Wasm pages: on the Wasm window, the JS bounds check is back.
  r = (await lib('linux/map-file.js')).mapFile(path, 0, 4096);
} else if (regionKind === 'native') {
  const { NativeRegion } = await lib('linux/native-region.js');
  const native = addon();
  const mapping = native.map(path, 0n, size, { sync: true, readOnly: false });
  r = new NativeRegion(mapping, { fileOffset: 0n, phys: 0n, size, path, readOnly: false }, { ...native, arch: 'arm64' });
} else if (regionKind === 'raw-wasm') {
  // The Wasm window's own functions, called directly with the wrong width (w in scope), to show the tracer
  // catches a wrong access made through Wasm too.
  const window = (await lib('linux/wasm-window.js')).openWasmWindow(size, addon().windowFaultPage === true);
  if (!window) throw new Error('no Wasm window on this Node (WASM_WINDOW_ENABLED is false)');
  addon().map(path, 0n, size, { sync: true, readOnly: false, into: window.memory.buffer, intoOffset: window.deviceOffset || undefined });
  w = window.fn;
} else if (regionKind === 'raw') {
  const mapping = addon().map(path, 0n, size, { sync: true, readOnly: false });
  [u8, u16, u32] = [new Uint8Array(mapping.buffer), new Uint16Array(mapping.buffer), new Uint32Array(mapping.buffer)];
} else {
  throw new Error(`unknown region kind ${regionKind}`);
}

const words = new Uint32Array(4);
const bytes = new Uint8Array(4);
const halves = new Uint16Array(4);
const loop = new Function('r', 'u8', 'u16', 'u32', 'words', 'off', 'n', 'w', 'bytes', 'halves', `let hits = 0; for (let i = 0; i < n; i++) { ${body}; } return hits;`);
const isTurbofanned = new Function('f', 'return %ActiveTierIsTurbofan(f)');
const prepare = new Function('f', '%PrepareFunctionForOptimization(f)');
const optimizeOnNextCall = new Function('f', '%OptimizeFunctionOnNextCall(f)');

// Warm up on another register (far from the watched one), then have TurboFan compile the loop. The
// compile may run on a background thread: keep calling until the optimized code is installed.
const warmOffset = offset + 256;
prepare(loop);
for (let k = 0; k < 3; k++) loop(r, u8, u16, u32, words, warmOffset, 2000, w, bytes, halves);
optimizeOnNextCall(loop);
const deadline = Date.now() + 5000;
do loop(r, u8, u16, u32, words, warmOffset, 2000, w, bytes, halves);
while (!isTurbofanned(loop) && Date.now() < deadline);
const optimizedBefore = isTurbofanned(loop);

process.stdout.write('ready\n');
readSync(0, Buffer.alloc(16));
loop(r, u8, u16, u32, words, offset, calls, w, bytes, halves);
const optimizedAfter = isTurbofanned(loop);
const accessPath = r?.accessPath ?? (r ? r.constructor.name : 'raw');
process.stdout.write(`${JSON.stringify({ calls, optimizedBefore, optimizedAfter, path: accessPath })}\n`);
