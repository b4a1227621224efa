// test/arm/wasm-window-probe.mjs [MODULE_BASE64] — run by test/arm/wasm-window.arm-test.ts in the official arm64
// Node.js under qemu-aarch64 (tools/arm/node.sh) with --print-wasm-code --print-opt-code --trace-turbo-inlining:
// calls every form that the arm64 Wasm window serves often enough for every tier to compile it (Liftoff, then
// TurboFan for the Wasm functions; Maglev and TurboFan for the JS callers), so that V8 prints each one's code.
// Without an argument: through the library (mapFile on a file, a WasmRegion), i.e. what really runs.
// With one: the module given (base64) instantiated on a memory of one page and its exports r8..w64 called by
// JS callers of the same shape: the test's deliberately wrong modules.
// Prints "probe: ..." lines on stderr (V8 prints its listings to stdout, buffered): the path taken, the values read
// back (the test checks them).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROUNDS = Number(process.env.MMIO_PROBE_ROUNDS ?? 40000);
const given = process.argv[2];
let forms;
let done = () => {};
if (given === undefined) {
  const { mapFile, WASM_WINDOW_FORMS } = await import('../../dist/lib/index.js');
  const { NativeRegion } = await import('../../dist/lib/linux/native-region.js');
  const dir = mkdtempSync(join(tmpdir(), 'mmio-probe-'));
  const file = join(dir, 'regs');
  writeFileSync(file, Buffer.alloc(65536));
  const r = mapFile(file, 0, 65536);
  console.error(`probe: arch ${process.arch} v8 ${process.versions.v8} forms ${WASM_WINDOW_FORMS} path ${r.accessPath ?? 'NativeRegion'}`);
  // arm64: readX/writeX/ioreadXbe/iowriteXbe are the NativeRegion's own (the native call); the _relaxed ones are not
  const native = (m) => r[m] === NativeRegion.prototype[m];
  const ordered = ['readb', 'readw', 'readl', 'readq', 'ioread16be', 'ioread32be', 'writeb', 'writew', 'writel', 'writeq', 'iowrite16be', 'iowrite32be'];
  const relaxed = ['readb', 'readw', 'readl', 'readq', 'writeb', 'writew', 'writel', 'writeq'].map((m) => m + '_relaxed');
  console.error(`probe: ordered forms native ${ordered.every(native)}, relaxed forms window ${!relaxed.some(native)}`);
  forms = {
    r8: (o) => r.readb_relaxed(o), r16: (o) => r.readw_relaxed(o), r32: (o) => r.readl_relaxed(o), r64: (o) => r.readq_relaxed(o),
    w8: (o, v) => r.writeb_relaxed(v, o), w16: (o, v) => r.writew_relaxed(v, o), w32: (o, v) => r.writel_relaxed(v, o), w64: (o, v) => r.writeq_relaxed(v, o),
  };
  done = () => { r.iounmap(); rmSync(dir, { recursive: true, force: true }); };
} else {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(given, 'base64')), { m: { mem: memory } });
  const f = inst.exports;
  console.error(`probe: arch ${process.arch} v8 ${process.versions.v8} path given module`);
  forms = {
    r8: (o) => f.r8(o), r16: (o) => f.r16(o), r32: (o) => f.r32(o) >>> 0, r64: (o) => BigInt.asUintN(64, f.r64(o)),
    w8: (o, v) => f.w8(o, v), w16: (o, v) => f.w16(o, v), w32: (o, v) => f.w32(o, v), w64: (o, v) => f.w64(o, v),
  };
}
// Each form at its own 8-byte slot: written, then read back, every round.
let check = 0;
for (let i = 0; i < ROUNDS; i++) {
  forms.w8(0, i & 0xff); check += forms.r8(0);
  forms.w16(8, i & 0xffff); check += forms.r16(8);
  forms.w32(16, (i * 0x10001) >>> 0); check += forms.r32(16);
  forms.w64(24, BigInt(i) << 32n | 0x5an); check += Number(forms.r64(24) & 0xffn);
}
console.error(`probe: values ${forms.r8(0)} ${forms.r16(8)} ${forms.r32(16)} ${forms.r64(24)} sum ${check}`);
done();
