/**
 * Checks the barrier instructions around the device accesses in a built addon, from `objdump -d -C`
 * output: the accessors must issue what Linux's readX/writeX and their _relaxed forms issue.
 *
 *   arm64 (arch/arm64/include/asm/io.h, barrier.h)
 *     readX          load; dma_rmb() = `dmb oshld`; the fake control dependency `eor t, v, v; cbnz t, .`
 *                    on the value read (v: the loaded register, or a copy of it)
 *     writeX         dma_wmb() = `dmb oshst`; store
 *     mb/rmb/wmb     `dsb sy` / `dsb ld` / `dsb st`
 *   armv7 (arch/arm/include/asm/io.h, barrier.h; CONFIG_ARM_DMA_MEM_BUFFERABLE, as in multi_v7)
 *     readX          load; __iormb() = rmb() = `dsb` (objdump: `dsb sy`)
 *     writeX         __iowmb() = wmb() = `dsb st`; store
 *     mb/rmb/wmb     `dsb sy` / `dsb sy` / `dsb st`
 *   both: the _relaxed forms have no barrier at all.
 *
 * "Followed by" means: with no other memory access, call or branch in between (the compiler may place
 * register moves and arithmetic there). Each check returns a list of problems; empty means it holds.
 */

export type Arch = 'arm64' | 'arm';
export type Width = 1 | 2 | 4 | 8;

export interface Insn {
  addr: number;
  op: string; // mnemonic, lower case, without .w/.n
  args: string[]; // operands, split at top-level commas
  text: string;
}

/** Functions by demangled name, from `objdump -d -C --no-show-raw-insn`. */
export function parseObjdump(text: string): Map<string, Insn[]> {
  const fns = new Map<string, Insn[]>();
  let cur: Insn[] | undefined;
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+ <(.*)>:$/.exec(line);
    if (head) {
      cur = [];
      fns.set(head[1], cur);
      continue;
    }
    const m = /^\s+([0-9a-f]+):\s+([a-z][\w.]*)\s*(.*)$/.exec(line);
    if (!m || !cur) continue;
    const operands = m[3].replace(/\s*(\/\/|@|;).*$/, '').replace(/\s*<.*>$/, '').trim();
    cur.push({ addr: parseInt(m[1], 16), op: m[2].toLowerCase().replace(/\.(w|n)$/, ''), args: splitArgs(operands), text: line.trim() });
  }
  return fns;
}

/** Split an instruction's operands at the commas outside brackets and braces (`x0, [x1, #8]` -> two). */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '[' || ch === '{') depth++;
    if (ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Register number of an arm64 wN/xN or an arm rN (and the aliases fp/ip/sl), or undefined. */
function regNum(arch: Arch, r: string | undefined): string | undefined {
  if (r === undefined) return undefined;
  if (arch === 'arm64') return /^[wx](\d+)$/.exec(r)?.[1];
  const alias: Record<string, string> = { sl: '10', fp: '11', ip: '12' };
  return /^r(\d+)$/.exec(r)?.[1] ?? alias[r];
}

const BARRIER = /^(dmb|dsb|isb)$/;
const BRANCH = /^(b|bl|blr|br|ret|cbz|cbnz|tbz|tbnz|bx|blx|b\.\w+|b(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)|pop|ldm\w*)$/;

/** An instruction that touches memory (any load or store). */
function isMemory(i: Insn): boolean {
  return /^(ld|st)/.test(i.op) || i.op === 'push' || i.op === 'pop';
}

/** The device access: the single register-indirect load/store of exactly `width` bytes that io_access.h emits. */
export function isDeviceAccess(arch: Arch, i: Insn, kind: 'load' | 'store', width: Width): boolean {
  const addr = i.args[i.args.length - 1] ?? '';
  const base = arch === 'arm64' ? /^\[x\d+\]$/.test(addr) : /^\[(r\d+|sl|fp|ip)(, #0)?\]$/.test(addr);
  if (!base) return false;
  const p = kind === 'load' ? 'ldr' : 'str';
  if (arch === 'arm64') {
    if (i.args.length !== 2) return false;
    const r = i.args[0];
    if (width === 1) return i.op === p + 'b' && /^w/.test(r);
    if (width === 2) return i.op === p + 'h' && /^w/.test(r);
    if (width === 4) return i.op === p && /^w/.test(r);
    return i.op === p && /^x/.test(r);
  }
  if (width === 1) return i.op === p + 'b';
  if (width === 2) return i.op === p + 'h';
  if (width === 4) return i.op === p && i.args.length === 2;
  return i.op === p + 'd';
}

/** `i` is exactly the barrier `want`, e.g. "dmb oshld" (a bare `dsb` is `dsb sy`). */
function isBarrier(i: Insn, want: string): boolean {
  return BARRIER.test(i.op) && `${i.op} ${i.args.join(' ') || 'sy'}` === want;
}

/** Problems with an ordered read (readX): every device load must be followed by the architecture's read barrier. */
export function checkOrderedRead(arch: Arch, fn: Insn[], width: Width): string[] {
  const loads = fn.map((i, k) => [i, k] as const).filter(([i]) => isDeviceAccess(arch, i, 'load', width));
  if (loads.length === 0) return [`no ${width}-byte register-indirect load`];
  // Every device load in the function must be ordered, not just one of them.
  return loads.flatMap(([load, k]) => orderedReadProblems(arch, fn, load, k));
}

/** Problems with one load at index `k`: empty when the read barrier (and on arm64 the dependency) follows it. */
function orderedReadProblems(arch: Arch, fn: Insn[], load: Insn, k: number): string[] {
  const why: string[] = [];
  const held = new Set([regNum(arch, load.args[0])]);
  let dmb = false;
  let eorTmp: string | undefined;
  let ctrl = false;
  for (const i of fn.slice(k + 1)) {
    if (arch === 'arm') {
      if (BARRIER.test(i.op)) {
        if (isBarrier(i, 'dsb sy')) return [];
        why.push(`load at ${hex(load.addr)} is followed by "${i.text}", not dsb sy`);
        break;
      }
      if (isMemory(i) || BRANCH.test(i.op)) {
        why.push(`load at ${hex(load.addr)}: "${i.text}" comes before any dsb`);
        break;
      }
      continue;
    }
    // arm64: dmb oshld and eor/cbnz on the value, in either order, before anything else touches memory
    // copies and zero-extensions of the value carry the dependency (e.g. `and x0, x1, #0xffff` for 16 bits)
    if (/^(mov|and|uxtb|uxth|ubfx|ubfiz)$/.test(i.op) && held.has(regNum(arch, i.args[1]))) held.add(regNum(arch, i.args[0]));
    if (i.op === 'eor' && i.args[1] === i.args[2] && held.has(regNum(arch, i.args[1]))) {
      eorTmp = regNum(arch, i.args[0]);
      continue;
    }
    if (i.op === 'cbnz' && eorTmp !== undefined && regNum(arch, i.args[0]) === eorTmp && parseInt(i.args[1], 16) === i.addr) {
      ctrl = true;
      if (dmb) return [];
      continue;
    }
    if (BARRIER.test(i.op)) {
      if (isBarrier(i, 'dmb oshld')) {
        dmb = true;
        if (ctrl) return [];
        continue;
      }
      why.push(`load at ${hex(load.addr)} is followed by "${i.text}", not dmb oshld`);
      break;
    }
    if (isMemory(i) || BRANCH.test(i.op)) {
      why.push(`load at ${hex(load.addr)}: "${i.text}" comes before ${dmb ? '' : 'dmb oshld'}${dmb || ctrl ? '' : ' and '}${ctrl ? '' : 'the eor/cbnz dependency on the value'}`);
      break;
    }
  }
  return why.length ? why : [`load at ${hex(load.addr)}: no read barrier after it`];
}

/** Problems with an ordered write (writeX): the write barrier must come right before every device store. */
export function checkOrderedWrite(arch: Arch, fn: Insn[], width: Width): string[] {
  const want = arch === 'arm64' ? 'dmb oshst' : 'dsb st';
  const stores = fn.map((i, k) => [i, k] as const).filter(([i]) => isDeviceAccess(arch, i, 'store', width));
  if (stores.length === 0) return [`no ${width}-byte register-indirect store`];
  const why: string[] = [];
  for (const [store, k] of stores) {
    let found = false;
    for (let j = k - 1; j >= 0; j--) {
      const i = fn[j];
      if (BARRIER.test(i.op)) {
        if (isBarrier(i, want)) found = true;
        else why.push(`store at ${hex(store.addr)} is preceded by "${i.text}", not ${want}`);
        break;
      }
      if (isMemory(i) || BRANCH.test(i.op)) {
        why.push(`store at ${hex(store.addr)}: "${i.text}" comes between it and any barrier`);
        break;
      }
    }
    // Every device store in the function must be ordered, not just one of them.
    if (!found && !why.some((w) => w.includes(hex(store.addr)))) why.push(`store at ${hex(store.addr)}: no write barrier before it`);
  }
  return why;
}

/** Problems with a relaxed access: the access is there and no barrier at all. */
export function checkRelaxed(arch: Arch, fn: Insn[], kind: 'load' | 'store', width: Width): string[] {
  const why: string[] = [];
  if (!fn.some((i) => isDeviceAccess(arch, i, kind, width))) why.push(`no ${width}-byte register-indirect ${kind}`);
  for (const i of fn) if (BARRIER.test(i.op)) why.push(`a relaxed access must not have a barrier: "${i.text}"`);
  return why;
}

/** Problems with mb()/rmb()/wmb(): exactly the one expected barrier. */
export function checkBarrierFn(fn: Insn[], want: string): string[] {
  const b = fn.filter((i) => BARRIER.test(i.op));
  const got = b.map((i) => `${i.op} ${i.args.join(' ') || 'sy'}`);
  return got.length === 1 && got[0] === want ? [] : [`expected exactly "${want}", found [${got.join('; ')}]`];
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}

/** The demangled name of an accessor template instance in native/accessors.cc. */
export function accessorName(arch: Arch, kind: 'Read' | 'Write', width: Width, ordered: boolean, bigEndian = false): string {
  const type = { 1: 'unsigned char', 2: 'unsigned short', 4: 'unsigned int', 8: arch === 'arm64' ? 'unsigned long' : 'unsigned long long' }[width];
  const ns = 'mmio::(anonymous namespace)';
  return `napi_value__* ${ns}::${kind}<${type}, (${ns}::Order)${ordered ? 0 : 1}, (${ns}::Endian)${bigEndian ? 1 : 0}>(napi_env__*, napi_callback_info__*)`;
}
