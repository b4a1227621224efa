// node test/node-versions/addon-info.mjs [--expect PATH:SHA256]
//
// Loads the native addon exactly as the library does (dist/lib/linux/addon.js → node-gyp-build), calls into it,
// then reads /proc/self/maps to see which .node file this process really mapped, and prints one line:
//
//   host: node v24.21.0 (ABI 137, N-API 10, V8 13.6.233.17-node.53, x64, page 4096): /repo/build/Release/mmio.node sha256 3f2a…
//
// ("guest x86_64:" instead of "host:" inside the QEMU guest of test/vm).
//
// With --expect PATH:SHA256 it exits 1 unless that is the file loaded and its content (run-all.sh uses it
// to show that every Node version loads the one binary built once). Needs `npm run build` (dist/) first.
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fail = (msg) => {
  console.error(`addon-info: FAILED on node ${process.version}: ${msg}`);
  process.exit(1);
};

let addon;
try {
  ({ addon } = await import(pathToFileURL(join(root, 'dist', 'lib', 'linux', 'addon.js')).href));
} catch (e) {
  fail(`cannot import dist/lib/linux/addon.js (run \`npm run build\`): ${e.message}`);
}
let a;
try {
  a = addon();
  a.mb(); // one real call into the native code
} catch (e) {
  fail(`the addon does not load: ${e.message}`);
}
if (!(a.pageSize > 0)) fail(`the addon answers pageSize=${a.pageSize}`);

// The file the dynamic loader mapped into this process, whatever node-gyp-build decided.
const mapped = [
  ...new Set(
    readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .map((l) => l.split(/\s+/).slice(5).join(' '))
      .filter((p) => p.endsWith('.node')),
  ),
];
if (mapped.length !== 1) fail(`expected one .node file mapped, found ${JSON.stringify(mapped)}`);
const file = realpathSync(mapped[0]);
const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');

const v = process.versions;
const where = process.env.MMIO_VM ? `guest ${process.env.MMIO_VM}` : 'host';
console.log(
  `${where}: node ${process.version} (ABI ${v.modules}, N-API ${v.napi}, V8 ${v.v8}, ${a.arch}, page ${a.pageSize}): ${file} sha256 ${sha256}`,
);

const i = process.argv.indexOf('--expect');
if (i !== -1) {
  const want = process.argv[i + 1] ?? '';
  const cut = want.lastIndexOf(':');
  const [wantFile, wantSha] = [want.slice(0, cut), want.slice(cut + 1)];
  if (realpathSync(wantFile) !== file) fail(`loaded ${file}, expected ${wantFile}`);
  if (wantSha !== sha256) fail(`${file} has sha256 ${sha256}, expected ${wantSha} (rebuilt since?)`);
}
