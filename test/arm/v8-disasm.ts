/**
 * Reads the arm64 code V8 prints (`--print-wasm-code`, `--print-opt-code`, `--trace-turbo-inlining`) and checks
 * that a Wasm-window function makes exactly one device access of the right kind and width
 * (test/arm/wasm-window.arm-test.ts; docs/design-fast-path.md, "ARM: the decision per form").
 *
 * What a device access is, found by data flow over the function's instructions (in address order, so that the
 * out-of-line paths are covered too; a call does not clear anything, which can only over-count):
 * - two taint sources: the Wasm offset parameter (V8's Wasm calling convention on arm64: the first i32
 *   parameter in x0) and the memory's start, loaded from the instance data (`ldr xN, [x7, #START]`, x7 being
 *   V8's implicit instance argument; START pinned per V8 version and proven by the check itself, since the
 *   one right access must use both);
 * - a register written from a tainted one is tainted (a load is tainted when its address is: a device value); a
 *   tainted register spilled to the stack taints every later stack load;
 * - a device access is any load or store whose address uses a tainted register, and every acquire, release,
 *   exclusive or atomic instruction (ldar, stlr, ldxr, stxr, cas, swp, ldadd, ...) wherever it points.
 * The right access: exactly one device access, whose address carries both taints, and which is `ldarb`/`ldarh`/
 * `ldar w`/`ldar x` (reads of 1/2/4/8 bytes) or `strb`/`strh`/`str w`/`str x` (writes); and no barrier at all.
 */
import { splitArgs } from './disasm.js';

export interface V8Insn {
  offset: number;
  op: string;
  args: string[];
  text: string;
}

/** One code object from V8's output. */
export interface V8Code {
  /** `wasm-function[N]`, or the JS function's name, or e.g. `js-to-wasm:i:i`. */
  name: string;
  /** Wasm: the function index; JS: -1. */
  index: number;
  /** `Liftoff`, `TurboFan` (Wasm), or the JS kind: `TURBOFAN_JS`, `MAGLEV`, `JS_TO_WASM_FUNCTION`, ... */
  tier: string;
  wasm: boolean;
  insns: V8Insn[];
}

/** Every code object in V8's stdout: Wasm functions (`--- WebAssembly code ---`) and JS code (`kind = ...`). */
export function parseV8Code(text: string): V8Code[] {
  const out: V8Code[] = [];
  let cur: V8Code | undefined;
  let inInsns = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('--- WebAssembly code ---')) {
      cur = { name: '', index: -1, tier: '', wasm: true, insns: [] };
      out.push(cur);
      inInsns = false;
      continue;
    }
    const kind = /^kind = (\S+)/.exec(line);
    if (kind) {
      cur = { name: '', index: -1, tier: kind[1], wasm: false, insns: [] };
      out.push(cur);
      inInsns = false;
      continue;
    }
    if (!cur) continue;
    const wname = /^name: (wasm-function\[(\d+)\])/.exec(line);
    if (wname && cur.wasm) {
      cur.name = wname[1];
      cur.index = Number(wname[2]);
      continue;
    }
    const jname = /^name = (.*)$/.exec(line);
    if (jname && !cur.wasm) cur.name = jname[1];
    const comp = /^compiler: (\S+)/.exec(line);
    if (comp && cur.wasm) cur.tier = comp[1];
    if (line.startsWith('Instructions (size')) {
      inInsns = true;
      continue;
    }
    if (!inInsns) continue;
    const m = /^0x[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]{8}\s+([a-z][\w.]*)\s*(.*)$/.exec(line);
    if (!m) {
      if (line.trim() === '' || /^(Source positions|Protected|Safepoints|RelocInfo|Inlined|Deoptimization|--- End)/.test(line)) inInsns = false;
      continue;
    }
    const operands = m[3].replace(/\s*;;.*$/, '').replace(/\s*\(addr 0x[0-9a-f]+\)/, '').replace(/\s*\(-?\d+\)$/, '').trim();
    cur.insns.push({ offset: parseInt(m[1], 16), op: m[2], args: splitArgs(operands), text: line.trim() });
  }
  return out;
}

/** Register number of x0..x30/w0..w30 (fp = 29, lr = 30), 'sp', or undefined (xzr, immediates, shifts). */
function reg(r: string | undefined): string | undefined {
  if (r === undefined) return undefined;
  const t = r.replace(/!$/, '');
  if (t === 'fp') return '29';
  if (t === 'lr') return '30';
  if (t === 'sp' || t === 'wsp') return 'sp';
  return /^[wx](\d+)$/.exec(t)?.[1];
}

/** Acquire/release/exclusive/atomic memory instructions: always device accesses here (V8 uses none otherwise). */
const ORDERED_OR_ATOMIC = /^(ldar|ldapr|ldlar|stlr|stllr|ld[a]?xr|ld[a]?xp|st[l]?xr|st[l]?xp|cas|swp|ld(add|clr|eor|set|smax|smin|umax|umin)|st(add|clr|eor|set|smax|smin|umax|umin))/;
const BARRIER = /^(dmb|dsb|isb)$/;
const NO_DEST = /^(cmp|cmn|tst|ccmp|ccmn|fcmp|b|bl|blr|br|ret|cbz|cbnz|tbz|tbnz|nop|prfm|brk|udf|hlt|msr|yield|b\.\w+|dmb|dsb|isb|csdb)$/;

const isMem = (i: V8Insn): boolean => /^(ld|st)/.test(i.op) || ORDERED_OR_ATOMIC.test(i.op);
const isStore = (i: V8Insn): boolean => /^st/.test(i.op);

/** The registers of the `[...]` address operand. */
function addressRegs(i: V8Insn): string[] {
  const a = i.args.find((x) => x.startsWith('['));
  if (!a) return [];
  return splitArgs(a.replace(/^\[|\]!?$/g, '')).map(reg).filter((r): r is string => r !== undefined);
}

/** A device access found in a function. */
interface DeviceAccess {
  insn: V8Insn;
  /** 1: the address depends on the offset parameter; 2: on the memory start; 0: only its kind makes it one. */
  taint: number;
}

/** Where the memory start lives, per V8 version (major.minor): the instance register and the field's offset. */
export const MEMORY_START: Record<string, { instance: string; offset: number }> = {
  '13.6': { instance: 'x7', offset: 31 },
};

/** The device accesses of a Wasm function (see the module comment). */
function deviceAccesses(fn: V8Code, start: { instance: string; offset: number }): DeviceAccess[] {
  const taint = new Map<string, number>([['0', 1]]);
  const t = (r: string | undefined): number => (r === undefined ? 0 : (taint.get(r) ?? 0));
  let stackTaint = 0;
  const found: DeviceAccess[] = [];
  for (const i of fn.insns) {
    if (isMem(i)) {
      const addr = addressRegs(i);
      const at = addr.reduce((acc, r) => acc | t(r), 0);
      const onStack = addr.includes('sp') || addr.includes('29');
      if (at !== 0 || ORDERED_OR_ATOMIC.test(i.op)) found.push({ insn: i, taint: at });
      const data = i.args.slice(0, i.args.findIndex((x) => x.startsWith('['))).map(reg);
      if (isStore(i)) {
        // exclusive/release stores: the first operand may be a status register (stxr ws, wt, [xn])
        const values = /^st[l]?x[rp]/.test(i.op) ? data.slice(1) : data;
        if (onStack) stackTaint |= values.reduce((acc, r) => acc | t(r), 0);
        if (/^st[l]?x[rp]/.test(i.op) && data[0] !== undefined) taint.delete(data[0]);
      } else {
        const loaded = at !== 0 ? at : onStack ? stackTaint : 0;
        const isStart = i.op.startsWith('ld') && addr.length === 1 && addr[0] === reg(start.instance) && i.args.some((x) => x.startsWith('[') && new RegExp(`, #${start.offset}\\]`).test(x));
        for (const d of data) if (d !== undefined) (loaded | (isStart ? 2 : 0)) ? taint.set(d, loaded | (isStart ? 2 : 0)) : taint.delete(d);
      }
      // pre/post-indexed forms write the base back: it keeps its own taint
      continue;
    }
    if (NO_DEST.test(i.op)) continue;
    const d = reg(i.args[0]);
    if (d === undefined || d === 'sp') continue;
    const src = i.args.slice(1).reduce((acc, a) => acc | t(reg(a.split(/\s/)[0])), 0);
    // movk/bfi/bfxil keep part of the old value
    const keep = /^(movk|bfi|bfxil|bfm)$/.test(i.op) ? t(d) : 0;
    if (src | keep) taint.set(d, src | keep);
    else taint.delete(d);
  }
  return found;
}

/** The single access a shipped form must compile to. */
export interface Expected {
  kind: 'load' | 'store';
  width: 1 | 2 | 4 | 8;
}

/** `i` is the instruction a form must be: ldarb/ldarh/ldar w/ldar x, or strb/strh/str w/str x. */
function isExpected(i: V8Insn, e: Expected): boolean {
  const r = i.args[0] ?? '';
  const op = e.kind === 'load' ? 'ldar' : 'str';
  if (e.width === 1) return i.op === op + 'b' && /^w\d+$/.test(r);
  if (e.width === 2) return i.op === op + 'h' && /^w\d+$/.test(r);
  return i.op === op && (e.width === 4 ? /^w\d+$/ : /^x\d+$/).test(r);
}

/** Problems with a Wasm function's code (empty: exactly the one access expected). */
export function checkWasmFunction(fn: V8Code, e: Expected, start: { instance: string; offset: number }): string[] {
  const why: string[] = [];
  const acc = deviceAccesses(fn, start);
  const want = e.kind === 'load' ? ['', 'ldarb w', 'ldarh w', '', 'ldar w', '', '', '', 'ldar x'][e.width] : ['', 'strb w', 'strh w', '', 'str w', '', '', '', 'str x'][e.width];
  if (acc.length !== 1) why.push(`${acc.length} device accesses, expected exactly one ${want}: ${acc.map((a) => `"${a.insn.text.replace(/\s+/g, ' ')}"`).join('; ') || 'none'}`);
  for (const a of acc) {
    if (!isExpected(a.insn, e)) why.push(`device access "${a.insn.op} ${a.insn.args.join(', ')}" is not ${want}`);
    else if (a.taint !== 3) why.push(`"${a.insn.op} ${a.insn.args.join(', ')}" does not address memory start + offset (taint ${a.taint})`);
  }
  for (const i of fn.insns) if (BARRIER.test(i.op)) why.push(`a barrier in the function: "${i.op} ${i.args.join(', ')}"`);
  return why;
}

/** JS code (optimized callers, wrappers): problems if it holds any acquire/release/exclusive/atomic instruction. */
export function checkJsCode(fn: V8Code): string[] {
  return fn.insns.filter((i) => ORDERED_OR_ATOMIC.test(i.op)).map((i) => `${fn.tier} ${fn.name}: "${i.op} ${i.args.join(', ')}" in JS code`);
}

/**
 * From `--trace-turbo-inlining`: the Wasm functions TurboFan considered for inlining into JS, and the reasons it
 * gave for not doing so. V8 prints "Considering wasm function [N] ..." and, when it does not inline it,
 * "- not inlining: <why>" (a message only the Wasm-into-JS inliner prints). Concurrent compile jobs interleave
 * their lines, so the two are counted, not paired: `inlined` = considerations without a refusal.
 */
export function wasmInliningDecisions(text: string): { considered: number[]; refusals: string[]; inlined: number } {
  const considered = [...text.matchAll(/^Considering wasm function \[(\d+)\]/gm)].map((m) => Number(m[1]));
  const refusals = [...text.matchAll(/^- not inlining: (.*)$/gm)].map((m) => m[1]);
  return { considered, refusals, inlined: considered.length - refusals.length };
}
