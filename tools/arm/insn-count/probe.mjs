// tools/arm/insn-count/probe.mjs — run by tools/arm/insn-count/run.sh in the arm64 node under qemu-aarch64 -g:
// one readl_relaxed (MODE=read) or writel_relaxed (MODE=write) between two mb() markers in TurboFan code, or the
// two markers alone (MODE=base).
// The gdb script counts the instructions executed from the first marker's native function to the second's; the
// difference is what one access costs, from the JS call to its return.
// Needs --allow-natives-syntax (the caller is optimized deterministically, after the callee has feedback).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { mapFile, mb } = await import(process.env.MMIO_DIST + '/lib/index.js');
const dir = mkdtempSync(join(tmpdir(), 'mmio-insn-count-'));
writeFileSync(join(dir, 'regs'), Buffer.alloc(65536, 7));
const r = mapFile(join(dir, 'regs'), 0, 65536);
console.error(`insn-count: path ${r.accessPath ?? 'NativeRegion'}`);
// the callee chain gets its feedback (and its own optimized code) first
let warm = 0;
for (let i = 0; i < 30000; i++) {
  warm += r.readl_relaxed((i & 63) * 4);
  r.writel_relaxed(i, (i & 63) * 4 + 256);
}
function withRead(o) { mb(); const v = r.readl_relaxed(o); mb(); return v; }
function withWrite(o) { mb(); r.writel_relaxed(o, o + 256); mb(); return o; }
function markersOnly(o) { mb(); mb(); return o; }
const f = { base: markersOnly, read: withRead, write: withWrite }[process.env.MODE];
%PrepareFunctionForOptimization(f);
f(0); f(4); f(8);
%OptimizeFunctionOnNextCall(f);
f(12);
f(16);
console.error(`insn-count: caller optimized by TurboFan: ${%ActiveTierIsTurbofan(f)}`);
f(20); // the measured call: mb() entries 11 and 12 (5 calls before it, 2 markers each)
r.iounmap();
rmSync(dir, { recursive: true, force: true });
