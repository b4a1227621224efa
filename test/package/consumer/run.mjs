// node run.mjs native|no-native: runs the compiled quick start (out/quickstart.js) from the installed package.
//   native     the simulator parts, and mapFile on a temporary file through the shipped prebuild
//   no-native  the prebuild was deleted: import still works, the simulator parts run, and every native entry
//              point throws ERR_MMIO_NATIVE_UNAVAILABLE with a hint
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const mode = process.argv[2];
assert.ok(mode === 'native' || mode === 'no-native', 'usage: node run.mjs native|no-native');
const q = await import('./out/quickstart.js');
const mmio = await import('mmio');

assert.equal(await q.factorial(5), 120);
assert.deepEqual(q.timerDemo(), { ctrl: 0b011, mode: 'PERIODIC', count: 0x1234 });
assert.equal(q.simAlias().regs.readl(0) & 0xffff, 0x00ed);

const dir = mkdtempSync(join(tmpdir(), 'mmio-consumer-'));
const file = join(dir, 'regs.bin');
const page = Buffer.alloc(4096);
page.writeUInt32LE(0xc0ffee, 0);
writeFileSync(file, page);
try {
  if (mode === 'native') {
    assert.equal(q.nativeAvailable(), true);
    assert.equal(q.firstWord(file), 0xc0ffee);
    assert.throws(() => mmio.mapFile(join(dir, 'missing'), 0, 16), { code: 'ENOENT', message: `ENOENT: no such file or directory, open '${join(dir, 'missing')}' (check the path.)` });
  } else {
    assert.equal(q.nativeAvailable(), false);
    const calls = {
      mapFile: () => q.firstWord(file),
      ioremap: () => mmio.ioremap(0xfe200000, 4096),
      openUio: () => mmio.openUio(0),
      openPci: () => mmio.openPci('0000:00:04.0'),
      inb: () => mmio.inb(0x80),
      request_mem_region: () => mmio.request_mem_region(0x1000, 16, 'consumer'),
      mb: () => mmio.mb(),
      pageSize: () => mmio.pageSize(),
    };
    for (const [name, call] of Object.entries(calls)) {
      assert.throws(call, (e) => {
        assert.equal(e.code, 'ERR_MMIO_NATIVE_UNAVAILABLE', `${name}: ${e.message}`);
        assert.match(e.message, /^mmio's native addon is not available on linux-/);
        assert.match(e.hint, /npm rebuild mmio|reinstall mmio/);
        assert.ok(e.cause instanceof Error);
        return true;
      }, name);
    }
    console.log(`no-native: ${q.describeError((() => { try { q.firstWord(file); } catch (e) { return e; } })())}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`consumer ${mode} on node ${process.version}: ok`);
