/**
 * The hostile battery's cases, as data: each is a snippet run against the public API in a child process
 * (test/hostile/child.mjs), with the exact outcome it must have. `expected` is written here from the documented
 * contract (lib/core/checks.ts, the TSDoc of each call), never read from the code under test.
 *
 * The per-accessor cases are generated from the accessor names on the region surface (RegionBase's prototype),
 * so a new accessor gets its cases or, if its name fits no known family, fails the generator.
 * Outcome text: `value 0x…` (`0x…n` for a bigint), or `throws <code> <class>`; `hang` and `crash` are failures.
 * @module
 */

/** One hostile input and what it must do. */
export interface HostileCase {
  /** Unique, stable, shown in docs/reliability.md. */
  id: string;
  /** What the fresh `r` is: a mapped file (native), a SimRegion (sim), SimInterrupts, the simulated edu, or nothing. */
  setup: 'file' | 'sim' | 'simirq' | 'edu' | 'uio' | 'uioirq' | 'none';
  /** An async function body; `r`, `m` (the package), `s` (mmio/sim) and `ctx` are in scope. */
  code: string;
  /** The exact outcome text. */
  expected: string;
  /** Run it alone in its own child process (a crash, a hang or process-wide state is possible). */
  isolate?: boolean;
  /** How long the case may take before it counts as a hang (ms, default 3000). */
  timeoutMs?: number;
}

export const REGION_SIZE = 4096;
const patternByte = (i: number): number => (i * 37 + 11) & 0xff;

const TYPE = 'ERR_INVALID_ARG_TYPE TypeError';
const RANGE = 'ERR_OUT_OF_RANGE RangeError';
const UNALIGNED = 'ERR_UNALIGNED RangeError';
const throws = (what: string): string => `throws ${what}`;

export { accessors, classify, type Accessor } from '../helpers/region-surface.js';
import { accessors } from '../helpers/region-surface.js';

/** The value a read of `width` bytes at `offset` returns from the pattern (swapped for the big-endian forms). */
function patternValue(offset: number, width: number, bigEndian: boolean): bigint {
  let v = 0n;
  for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(patternByte(offset + i));
  if (bigEndian) {
    let s = 0n;
    for (let i = 0; i < width; i++) s = (s << 8n) | BigInt(patternByte(offset + i));
    v = s;
  }
  return v;
}
const shown = (v: bigint, width: number): string => (width === 8 ? `value 0x${v.toString(16)}n` : `value 0x${v.toString(16)}`);
const allOnes = (width: number): bigint => (1n << BigInt(width * 8)) - 1n;

/** Hostile offsets: the expression, and the outcome for an access of `width`. */
function offsets(width: number, size = REGION_SIZE): [string, string][] {
  const list: [string, string][] = [
    ['-1', throws(RANGE)],
    ['1.5', throws(RANGE)],
    ['NaN', throws(RANGE)],
    ['Infinity', throws(RANGE)],
    [`${size}`, throws(RANGE)],
    [`${size + width}`, throws(RANGE)],
    ['2 ** 53', throws(RANGE)],
    ["'0'", throws(TYPE)],
    ['0n', throws(TYPE)],
    ['null', throws(TYPE)],
    ['undefined', throws(TYPE)],
    ['{}', throws(TYPE)],
  ];
  if (width > 1) list.push(['1', throws(UNALIGNED)], [`${width + width / 2}`, throws(UNALIGNED)]);
  return list;
}

/** Hostile values for a write of `width`: the expression and the outcome (a valid one reads back). */
function values(width: number): [string, string][] {
  if (width === 8) {
    return [
      ['2n ** 64n', throws(RANGE)],
      ['-(2n ** 63n) - 1n', throws(RANGE)],
      ['1.5', throws(RANGE)],
      ['2 ** 53', throws(RANGE)],
      ['NaN', throws(RANGE)],
      ["'1'", throws(TYPE)],
      ['null', throws(TYPE)],
      ['undefined', throws(TYPE)],
    ];
  }
  const bits = width * 8;
  return [
    [`2 ** ${bits}`, throws(RANGE)],
    [`-(2 ** ${bits - 1}) - 1`, throws(RANGE)],
    ['1.5', throws(RANGE)],
    ['NaN', throws(RANGE)],
    ['Infinity', throws(RANGE)],
    ["'1'", throws(TYPE)],
    ['1n', throws(TYPE)],
    ['null', throws(TYPE)],
    ['undefined', throws(TYPE)],
  ];
}

const BACKENDS = ['file', 'sim'] as const;

/** Reads, writes, `_rep` and block calls: every hostile offset and value, on both backends. */
function accessCases(): HostileCase[] {
  const out: HostileCase[] = [];
  for (const a of accessors()) {
    for (const setup of BACKENDS) {
      const id = (what: string) => `${setup}:${a.name}(${what})`;
      if (a.kind === 'read') {
        for (const [off, expected] of offsets(a.width)) out.push({ id: id(off), setup, code: `return r.${a.name}(${off})`, expected });
        const at = 2 * a.width;
        out.push({ id: id(`${at}) value`), setup, code: `return r.${a.name}(${at})`, expected: shown(patternValue(at, a.width, a.bigEndian), a.width) });
        out.push({ id: id('0) after iounmap'), setup, code: `r.iounmap(); return r.${a.name}(0)`, expected: throws('ERR_IOMEM_UNMAPPED Error') });
      } else if (a.kind === 'write') {
        const zero = a.width === 8 ? '0n' : '0';
        for (const [off, expected] of offsets(a.width)) out.push({ id: id(`${zero}, ${off}`), setup, code: `return r.${a.name}(${zero}, ${off})`, expected });
        for (const [v, expected] of values(a.width)) out.push({ id: id(`${v}, 0`), setup, code: `return r.${a.name}(${v}, 0)`, expected });
        const minusOne = a.width === 8 ? '-1n' : '-1';
        const back = a.width === 8 ? 'readq' : a.width === 4 ? 'readl' : a.width === 2 ? 'readw' : 'readb';
        out.push({ id: id(`${minusOne}, 8) reads back`), setup, code: `r.${a.name}(${minusOne}, 8); return r.${back}(8)`, expected: shown(allOnes(a.width), a.width) });
      } else if (a.kind === 'rep-read' || a.kind === 'rep-write') {
        const T = `Uint${a.width * 8}Array`;
        const cases: [string, string, string][] = [
          ['wrong buffer type', `r.${a.name}(0, new Float64Array(4), 1)`, throws(TYPE)],
          ['null buffer', `r.${a.name}(0, null, 1)`, throws(TYPE)],
          ['count beyond the buffer', `r.${a.name}(0, new ${T}(2), 3)`, throws(RANGE)],
          ['count -1', `r.${a.name}(0, new ${T}(2), -1)`, throws(RANGE)],
          ['count 1.5', `r.${a.name}(0, new ${T}(2), 1.5)`, throws(RANGE)],
          ["count '1'", `r.${a.name}(0, new ${T}(2), '1')`, throws(TYPE)],
          ['offset past the end', `r.${a.name}(${REGION_SIZE}, new ${T}(2), 1)`, throws(RANGE)],
          ['count 0', `return r.${a.name}(0, new ${T}(2), 0)`, 'value undefined'],
        ];
        if (a.width > 1) cases.push(['unaligned offset', `r.${a.name}(1, new ${T}(2), 1)`, throws(UNALIGNED)]);
        for (const [what, code, expected] of cases) out.push({ id: id(what), setup, code: code.startsWith('return') ? code : `return ${code}`, expected });
      } else if (a.kind === 'block') {
        const call =
          a.name === 'memset_io' ? (off: string, n: string) => `r.memset_io(${off}, 0x5a, ${n})` : a.name === 'memcpy_fromio' ? (off: string, n: string) => `r.memcpy_fromio(new Uint8Array(16), ${off}, ${n})` : (off: string, n: string) => `r.memcpy_toio(${off}, new Uint8Array(16), ${n})`;
        const cases: [string, string, string][] = [
          ['offset -1', call('-1', '4'), throws(RANGE)],
          ['count past the end', call(`${REGION_SIZE - 2}`, '4'), throws(RANGE)],
          ["count '4'", call('0', "'4'"), throws(TYPE)],
          ['count NaN', call('0', 'NaN'), throws(RANGE)],
          ['offset 2 ** 53', call('2 ** 53', '1'), throws(RANGE)],
        ];
        if (a.name !== 'memset_io') cases.push(['count beyond the buffer', call('0', '17'), throws(RANGE)]);
        else cases.push(['byte 256', 'r.memset_io(0, 256, 4)', throws(RANGE)]);
        for (const [what, code, expected] of cases) out.push({ id: id(what), setup, code: `return ${code}`, expected });
      }
    }
  }
  return out;
}

/** Poll conditions and times: every poll, both backends, the register at 8 holding all ones. */
function pollCases(): HostileCase[] {
  const out: HostileCase[] = [];
  for (const a of accessors().filter((x) => x.kind === 'poll')) {
    const w = a.width;
    const write = w === 8 ? 'r.writeq(-1n, 8);' : w === 4 ? 'r.writel(-1, 8);' : w === 2 ? 'r.writew(-1, 8);' : 'r.writeb(-1, 8);';
    const ones = shown(allOnes(w), w);
    const n = (x: string) => (w === 8 ? `${x}n` : x);
    const conds: [string, string, string][] = [
      ['all-ones mask and value', `{ mask: ${n('-1')}, value: ${n('-1')} }`, ones],
      ['mask one bit past the width', w === 8 ? '{ mask: 1n << 64n, value: 0n }' : `{ mask: 2 ** ${w * 8}, value: 0 }`, throws(RANGE)],
      ['mask 1.5', `{ mask: 1.5, value: 0 }`, throws(RANGE)],
      ['value past the width', w === 8 ? '{ mask: -1n, value: 1n << 64n }' : `{ mask: -1, value: 2 ** ${w * 8} }`, throws(RANGE)],
      ['mask of the other type', w === 8 ? '{ mask: 1, value: 1 }' : '{ mask: 1n, value: 1n }', w === 8 ? ones : throws(TYPE)],
      ["mask '1'", "{ mask: '1', value: 1 }", throws(TYPE)],
      ['cond null', 'null', throws(TYPE)],
      ['cond {}', '{}', throws(TYPE)],
      ['cond 5', '5', throws(TYPE)],
      ['predicate returning a Promise', 'async () => true', throws('ERR_INVALID_RETURN_VALUE TypeError')],
      ['predicate returning true', '() => true', ones],
      ['predicate returning a truthy number', '(v) => 1', ones],
    ];
    const times: [string, string, string][] = [
      ["timeout '1000'", "0, '1000'", throws(TYPE)],
      ['delay -1', '-1, 1000', throws(RANGE)],
      ['timeout NaN', '0, NaN', throws(RANGE)],
      ['timeout Infinity', '0, Infinity', throws(RANGE)],
      ['timeout past MAX_WAIT_US', '0, m.MAX_WAIT_US + 1', throws(RANGE)],
      ['delay 1n', '1n, 1000', throws(TYPE)],
    ];
    for (const setup of BACKENDS) {
      const run = (cond: string, t: string) => (a.atomic ? `return r.${a.name}(8, ${cond}, ${t})` : `return await r.${a.name}(8, ${cond}, ${t})`);
      for (const [what, cond, expected] of conds) out.push({ id: `${setup}:${a.name} ${what}`, setup, code: `${write} ${run(cond, '0, 1000')}`, expected });
      for (const [what, t, expected] of times) out.push({ id: `${setup}:${a.name} ${what}`, setup, code: `${write} ${run(`{ mask: ${n('0')}, value: ${n('0')} }`, t)}`, expected });
      // A delay far beyond the timeout: the poll still gives up on time (ETIMEDOUT well inside the 3 s budget).
      out.push({
        id: `${setup}:${a.name} delay 10 s, timeout 1 ms`,
        setup,
        code: `${write} ${run(`{ mask: ${n('1')}, value: ${n('0')} }`, '10_000_000, 1000')}`,
        expected: throws('ETIMEDOUT Error'),
        timeoutMs: 2000,
      });
    }
  }
  return out;
}

/** Interrupt waits (simulated; the UIO ones run in the guest, test/hw/hostile.hw.test.ts). */
function waitCases(): HostileCase[] {
  const w: [string, string, string][] = [
    ['timeoutMs 2 ** 31', 'await r.wait({ timeoutMs: 2 ** 31 })', throws(RANGE)],
    ["timeoutMs '5'", "await r.wait({ timeoutMs: '5' })", throws(TYPE)],
    ['timeoutMs -1', 'await r.wait({ timeoutMs: -1 })', throws(RANGE)],
    ['timeoutMs NaN', 'await r.wait({ timeoutMs: NaN })', throws(RANGE)],
    ['timeoutMs 5n', 'await r.wait({ timeoutMs: 5n })', throws(TYPE)],
    ['busyPollUs -1', 'await r.wait({ busyPollUs: -1 })', throws(RANGE)],
    ['busyPollUs NaN', 'await r.wait({ busyPollUs: NaN })', throws(RANGE)],
    ['busyPollUs Infinity', 'await r.wait({ busyPollUs: Infinity })', throws(RANGE)],
    ['busyPollUs past MAX_BUSY_POLL_US', 'await r.wait({ busyPollUs: m.MAX_BUSY_POLL_US + 1 })', throws(RANGE)],
    ["busyPollUs '50'", "await r.wait({ busyPollUs: '50' })", throws(TYPE)],
    ['busyPollUs 50n', 'await r.wait({ busyPollUs: 50n })', throws(TYPE)],
    ['busyPollUs MAX_BUSY_POLL_US, timeoutMs 20 times out', 'await r.wait({ busyPollUs: m.MAX_BUSY_POLL_US, timeoutMs: 20 })', throws('ETIMEDOUT Error')],
    ['options null', 'await r.wait(null)', throws(TYPE)],
    ['options 5', 'await r.wait(5)', throws(TYPE)],
    ['signal {}', 'await r.wait({ signal: {} })', throws(TYPE)],
    ['timeoutMs 0, nothing pending', 'await r.wait({ timeoutMs: 0 })', throws('ETIMEDOUT Error')],
    ['timeoutMs 20 times out', 'await r.wait({ timeoutMs: 20 })', throws('ETIMEDOUT Error')],
    ['timeoutMs MAX_WAIT_MS is honoured (aborted at 50 ms, not timed out)', 'await r.wait({ timeoutMs: m.MAX_WAIT_MS, signal: AbortSignal.timeout(50) })', throws('ABORT_ERR AbortError')],
    ['raised, then wait', 'r.raise(); return (await r.wait({ timeoutMs: 100 })).count', 'value 0x1'],
    ['second wait while one is pending', 'r.wait().catch(() => {}); await r.wait()', throws('ERR_IRQ_WAIT_PENDING Error')],
    ['wait after close', 'r.close(); await r.wait()', throws('ERR_IRQ_CLOSED Error')],
  ];
  return w.map(([what, code, expected]) => ({ id: `simirq:wait ${what}`, setup: 'simirq', code, expected }));
}

/** Mapping and the other entry points: arguments of every wrong type and range. */
function entryCases(): HostileCase[] {
  const file = '`${ctx.dir}/f.bin`';
  const mk = `require_file(); `;
  void mk;
  const withFile = (body: string) => `const { writeFileSync } = await import('node:fs'); const p = ${file}; writeFileSync(p, new Uint8Array(8192)); ${body}`;
  const list: [string, string, string][] = [
    ['mapFile(null, 0, 4096)', 'm.mapFile(null, 0, 4096)', throws(TYPE)],
    ["mapFile('', 0, 4096)", "m.mapFile('', 0, 4096)", throws(TYPE)],
    ['mapFile(42, 0, 4096)', 'm.mapFile(42, 0, 4096)', throws(TYPE)],
    ['mapFile(path with NUL)', withFile("m.mapFile(p + '\\0x', 0, 4096)"), throws('ERR_INVALID_ARG_VALUE TypeError')],
    ['mapFile(path, -1, 4096)', withFile('m.mapFile(p, -1, 4096)'), throws(RANGE)],
    ['mapFile(path, 2n ** 64n, 4096)', withFile('m.mapFile(p, 2n ** 64n, 4096)'), throws(RANGE)],
    ["mapFile(path, '0', 4096)", withFile("m.mapFile(p, '0', 4096)"), throws(TYPE)],
    ['mapFile(path, 0, 0)', withFile('m.mapFile(p, 0, 0)'), throws(RANGE)],
    ['mapFile(path, 0, 1.5)', withFile('m.mapFile(p, 0, 1.5)'), throws(RANGE)],
    ["mapFile(path, 0, '4096')", withFile("m.mapFile(p, 0, '4096')"), throws(TYPE)],
    ['mapFile(path, 0, 2 ** 53)', withFile('m.mapFile(p, 0, 2 ** 53)'), throws(RANGE)],
    ['mapFile(path, 0, MAX_REGION_BYTES + 1)', withFile('m.mapFile(p, 0, m.MAX_REGION_BYTES + 1)'), throws(RANGE)],
    ['mapFile(path, 0, 4096, null)', withFile('m.mapFile(p, 0, 4096, null)'), throws(TYPE)],
    ['mapFile(path, 0, 4096, 5)', withFile('m.mapFile(p, 0, 4096, 5)'), throws(TYPE)],
    ["mapFile(path, 0, 4096, 'ro')", withFile("m.mapFile(p, 0, 4096, 'ro')"), throws(TYPE)],
    ['mapFile(path, 0, 4096, { onUnmap: 5 })', withFile('m.mapFile(p, 0, 4096, { onUnmap: 5 })'), throws(TYPE)],
    ['mapFile(path, 0, 4096, { phys: -1n })', withFile('m.mapFile(p, 0, 4096, { phys: -1n })'), throws(RANGE)],
    ['mapFile(path past its end)', withFile('m.mapFile(p, 4096, 8192)'), throws('ENXIO Error')],
    ['mapFile(missing file)', "m.mapFile('/nonexistent/mmio-hostile', 0, 4096)", throws('ENOENT Error')],
    ['mapFile(a directory)', 'm.mapFile(ctx.dir, 0, 4096)', throws('EISDIR Error')],
    ['mapFile(a directory, readOnly)', 'm.mapFile(ctx.dir, 0, 4096, { readOnly: true })', throws('ENODEV Error')],
    ['mapFile(/dev/null)', "m.mapFile('/dev/null', 0, 4096)", throws('ENODEV Error')],
    ['mapFile(read-only) then writel', withFile('const q = m.mapFile(p, 0, 4096, { readOnly: true }); try { q.writel(1, 0) } finally { q.iounmap() }'), throws('ERR_IOMEM_READONLY Error')],
    ['iounmap(null)', 'm.iounmap(null)', throws(TYPE)],
    ['iounmap(5)', 'm.iounmap(5)', throws(TYPE)],
    ['iounmap({})', 'm.iounmap({})', throws(TYPE)],
    ['iounmap twice', withFile('const q = m.mapFile(p, 0, 4096); m.iounmap(q); return m.iounmap(q)'), 'value undefined'],
    ['ioremap(0, 4096, null)', 'm.ioremap(0, 4096, null)', throws(TYPE)],
    ['ioremap(0, 4096, { path: NUL })', "m.ioremap(0, 4096, { path: '/dev/mem\\0' })", throws('ERR_INVALID_ARG_VALUE TypeError')],
    ['ioremap(-1, 4096)', 'm.ioremap(-1, 4096)', throws(RANGE)],
    ['devm_ioremap_resource(null)', 'm.devm_ioremap_resource(null)', throws(TYPE)],
    ["devm_ioremap_resource('x')", "m.devm_ioremap_resource('x')", throws(TYPE)],
    ['devm_ioremap_resource(res, null)', "m.devm_ioremap_resource({ start: 0x1000, size: 4096, name: 'x' }, null)", throws(TYPE)],
    ['request_mem_region(2n ** 63n, 1)', "m.request_mem_region(2n ** 63n, 1, 'x')", throws(RANGE)],
    ['request_mem_region(2 ** 63, 1)', "m.request_mem_region(2 ** 63, 1, 'x')", throws(RANGE)],
    ['request_mem_region(2n ** 63n - 1n, 2n)', "m.request_mem_region(2n ** 63n - 1n, 2n, 'x')", throws(RANGE)],
    ['request_mem_region(0, 0)', "m.request_mem_region(0, 0, 'x')", throws(RANGE)],
    ['request_mem_region(0, 1, 5)', 'm.request_mem_region(0, 1, 5)', throws(TYPE)],
    ["request_mem_region('0', 1)", "m.request_mem_region('0', 1, 'x')", throws(TYPE)],
    ['release_mem_region of nothing held', 'm.release_mem_region(0x7000_0000n, 1n)', throws(RANGE)],
    ['udelay(Infinity)', 'm.udelay(Infinity)', throws(RANGE)],
    ["udelay('5')", "m.udelay('5')", throws(TYPE)],
    ['udelay(-1)', 'm.udelay(-1)', throws(RANGE)],
    ['udelay(10) returns', 'return m.udelay(10)', 'value undefined'],
    ['createSimEdu(null)', 's.createSimEdu(null)', throws(TYPE)],
    ['createSimEdu(5)', 's.createSimEdu(5)', throws(TYPE)],
    ["createSimEdu('edu')", "s.createSimEdu('edu')", throws(TYPE)],
    ['new RegisterModel({ size: 0 })', 'new s.RegisterModel({ size: 0 })', throws(RANGE)],
    ['new RegisterModel({ size: -1 })', 'new s.RegisterModel({ size: -1 })', throws(RANGE)],
    ["new RegisterModel({ buffer: 'x' })", "new s.RegisterModel({ buffer: 'x', size: 4 })", throws(TYPE)],
    ["openUio('/dev/uio\\0')", "m.openUio('/nonexistent-uio-device')", throws('ENOENT Error')],
  ];
  return list.map(([id, code, expected]) => ({ id: `entry:${id}`, setup: 'none', code: code.includes('return') ? code : code.startsWith('const') ? code : `return ${code}`, expected }));
}

/** The simulated edu against what the real device answers (hw/misc/edu.c). */
function eduCases(): HostileCase[] {
  const out: HostileCase[] = [];
  // hw/misc/edu.c: source, destination and count are storage; a command without EDU_DMA_START is ignored.
  out.push({ id: 'edu:DMA command 0x98 without the start bit is ignored', setup: 'edu', code: 'r.regs.writeq(0x1234_5678_9abc_def0n, 0x98); return r.regs.readq(0x98)', expected: 'value 0x0n' });
  for (const at of [0x80, 0x88, 0x90]) {
    out.push({ id: `edu:DMA register 0x${at.toString(16)} reads back a 64-bit write`, setup: 'edu', code: `r.regs.writeq(0x1234_5678_9abc_def0n, ${at}); return r.regs.readq(${at})`, expected: 'value 0x123456789abcdef0n' });
    out.push({ id: `edu:DMA register 0x${at.toString(16)} reads back a 32-bit write`, setup: 'edu', code: `r.regs.writel(0x4_0000, ${at}); return r.regs.readl(${at})`, expected: 'value 0x40000' });
  }
  out.push({ id: 'edu:ID', setup: 'edu', code: 'return r.regs.readl(0)', expected: 'value 0x10000ed' });
  out.push({ id: 'edu:LIVENESS inverts', setup: 'edu', code: 'r.regs.writel(0x12345678, 4); return r.regs.readl(4)', expected: 'value 0xedcba987' });
  out.push({ id: 'edu:8-bit read of ID reads 0', setup: 'edu', code: 'return r.regs.readb(0)', expected: 'value 0x0' });
  return out;
}

/** Cases that could crash or hang the process: each in its own child. */
function isolatedCases(): HostileCase[] {
  return [
    {
      id: 'crash:mapFile of MAX_REGION_BYTES + 4 KiB (4 GiB + 4 KiB on Node 20) refuses before mapping',
      setup: 'none',
      isolate: true,
      code: "const { openSync, ftruncateSync, closeSync } = await import('node:fs'); const p = `${ctx.dir}/big`; const fd = openSync(p, 'w'); ftruncateSync(fd, 2 ** 32 + 8192); closeSync(fd); const before = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.endsWith(p)).length; try { m.mapFile(p, 0, m.MAX_REGION_BYTES + 4096); return 'mapped' } catch (e) { const after = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.endsWith(p)).length; if (after !== before) return 'left mapped'; throw e }",
      expected: throws(RANGE),
    },
    {
      id: 'crash:the native map with a size no ArrayBuffer can hold (buffer.constants.MAX_LENGTH + 4 KiB) is a JS error (no C++ exception)',
      setup: 'none',
      isolate: true,
      code: "const { createRequire } = await import('node:module'); const req = createRequire(ctx.root + '/'); const addon = req('node-gyp-build')(ctx.root); const { openSync, ftruncateSync, closeSync } = await import('node:fs'); const p = `${ctx.dir}/big`; const fd = openSync(p, 'w'); ftruncateSync(fd, 2 ** 33); closeSync(fd); const { constants } = await import('node:buffer'); try { addon.map(p, 0n, constants.MAX_LENGTH + 4096, { sync: false, readOnly: true }); return 'mapped' } catch (e) { return e instanceof Error ? 'js error' : 'non-error' }",
      expected: 'value "js error"',
    },
    {
      id: 'crash:native map with arguments of the wrong types is a TypeError',
      setup: 'none',
      isolate: true,
      code: "const { createRequire } = await import('node:module'); const req = createRequire(ctx.root + '/'); const addon = req('node-gyp-build')(ctx.root); const out = []; for (const args of [[], [1, 2, 3, 4], ['/x', 0, 1, {}], ['/x', 0n, '1', {}], ['/x', 0n, 1, null]]) { try { addon.map(...args); out.push('ok') } catch (e) { out.push(e.constructor.name) } } return out.join(',')",
      expected: 'value "TypeError,TypeError,TypeError,TypeError,TypeError"',
    },
    {
      id: 'crash:mapping in a loop up to the map budget, then the process goes on',
      setup: 'none',
      isolate: true,
      timeoutMs: 60_000,
      code: "const { writeFileSync } = await import('node:fs'); const p = `${ctx.dir}/f`; writeFileSync(p, new Uint8Array(4096)); const held = []; let err; for (let i = 0; i < 200000; i++) { try { held.push(m.mapFile(p, 0, 4096)) } catch (e) { err = e; break } } const junk = []; for (let i = 0; i < 2000; i++) junk.push(new Array(1000).fill(i)); for (const r of held) r.iounmap(); const again = m.mapFile(p, 0, 4096); again.iounmap(); if (err === undefined) return 'no limit'; throw err",
      expected: throws('ENOMEM Error'),
    },
    {
      id: 'hang:mapFile of a FIFO returns at once',
      setup: 'none',
      isolate: true,
      code: "const { execFileSync } = await import('node:child_process'); const p = `${ctx.dir}/fifo`; execFileSync('mkfifo', [p]); return m.mapFile(p, 0, 4096, { readOnly: true })",
      expected: throws('ENODEV Error'),
    },
    {
      id: 'hang:mapFile of a FIFO read-write returns at once',
      setup: 'none',
      isolate: true,
      code: "const { execFileSync } = await import('node:child_process'); const p = `${ctx.dir}/fifo`; execFileSync('mkfifo', [p]); return m.mapFile(p, 0, 4096)",
      expected: throws('ENODEV Error'),
    },
    {
      id: 'hang:worker.terminate() during a native atomic poll with timeout 0',
      setup: 'none',
      isolate: true,
      timeoutMs: 10_000,
      code: "const { Worker } = await import('node:worker_threads'); const { writeFileSync } = await import('node:fs'); const p = `${ctx.dir}/f`; writeFileSync(p, new Uint8Array(4096)); const lib = new URL('lib/index.js', 'file://' + ctx.built + '/').href; const w = new Worker(`const { parentPort } = require('node:worker_threads'); import(${JSON.stringify(lib)}).then((m) => { const r = m.mapFile(${JSON.stringify(p)}, 0, 4096); parentPort.postMessage('spinning'); r.readl_poll_timeout_atomic(0, { mask: 1, value: 1 }, 0, 0); })`, { eval: true }); await new Promise((res) => w.once('message', res)); await new Promise((res) => setTimeout(res, 100)); const code = await w.terminate(); return code",
      expected: 'value 0x1',
    },
    {
      id: 'hang:worker.terminate() during a native atomic poll of a readq with timeout 0 and a delay',
      setup: 'none',
      isolate: true,
      timeoutMs: 10_000,
      code: "const { Worker } = await import('node:worker_threads'); const { writeFileSync } = await import('node:fs'); const p = `${ctx.dir}/f`; writeFileSync(p, new Uint8Array(4096)); const lib = new URL('lib/index.js', 'file://' + ctx.built + '/').href; const w = new Worker(`const { parentPort } = require('node:worker_threads'); import(${JSON.stringify(lib)}).then((m) => { const r = m.mapFile(${JSON.stringify(p)}, 0, 4096); parentPort.postMessage('spinning'); r.readq_poll_timeout_atomic(0, { mask: 1n, value: 1n }, 50, 0); })`, { eval: true }); await new Promise((res) => w.once('message', res)); await new Promise((res) => setTimeout(res, 100)); return await w.terminate()",
      expected: 'value 0x1',
    },
    {
      id: 'hang:a native atomic poll with timeout 0 is met by another thread within its slices',
      setup: 'none',
      isolate: true,
      timeoutMs: 10_000,
      code: "const { Worker } = await import('node:worker_threads'); const { writeFileSync } = await import('node:fs'); const p = `${ctx.dir}/f`; writeFileSync(p, new Uint8Array(4096)); const lib = new URL('lib/index.js', 'file://' + ctx.built + '/').href; const w = new Worker(`import(${JSON.stringify(lib)}).then((m) => { const r = m.mapFile(${JSON.stringify(p)}, 0, 4096); setTimeout(() => { r.writel(0xabc1, 0); }, 150); })`, { eval: true }); const q = m.mapFile(p, 0, 4096); await new Promise((res) => setTimeout(res, 50)); const v = q.readl_poll_timeout_atomic(0, { mask: 1, value: 1 }, 0, 0); await w.terminate(); q.iounmap(); return v",
      expected: 'value 0xabc1',
    },
  ];
}

/** Every case of the battery on the host. */
export function hostileCases(): HostileCase[] {
  return [...accessCases(), ...pollCases(), ...waitCases(), ...entryCases(), ...eduCases(), ...isolatedCases()];
}

/** edu's BAR0 through /dev/uio0 (the QEMU rig): 1 MiB, ID 0x010000ed at 0. */
const EDU_BAR0_SIZE = 0x10_0000;

/**
 * The device-backend cases, for the guest (test/hw/hostile-battery.hw.test.ts): every accessor's hostile
 * offsets on the UIO mapping of the real edu, hostile values (refused before any write), poll conditions on the
 * ID register, UIO interrupt waits, and /dev/mem mappings past one ArrayBuffer.
 */
export function guestCases(): HostileCase[] {
  const out: HostileCase[] = [];
  const ID = 0x010000edn;
  for (const a of accessors()) {
    const id = (what: string) => `uio:${a.name}(${what})`;
    if (a.kind === 'read') {
      for (const [off, expected] of offsets(a.width, EDU_BAR0_SIZE)) out.push({ id: id(off), setup: 'uio', code: `return r.${a.name}(${off})`, expected });
      if (a.width === 4) out.push({ id: id('0) reads ID'), setup: 'uio', code: `return r.${a.name}(0)`, expected: shown(a.bigEndian ? 0xed000001n : ID, 4) });
    } else if (a.kind === 'write') {
      const zero = a.width === 8 ? '0n' : '0';
      for (const [off, expected] of offsets(a.width, EDU_BAR0_SIZE)) out.push({ id: id(`${zero}, ${off}`), setup: 'uio', code: `return r.${a.name}(${zero}, ${off})`, expected });
      // At an aligned offset (the offset is checked first); every one of these values is refused before a write.
      const at = a.width === 8 ? 8 : 4;
      for (const [v, expected] of values(a.width)) out.push({ id: id(`${v}, ${at}`), setup: 'uio', code: `return r.${a.name}(${v}, ${at})`, expected });
    } else if (a.kind === 'poll') {
      const w = a.width;
      if (w !== 4) continue; // edu answers 32-bit reads of its registers
      const run = (cond: string, t = '0, 1000') => (a.atomic ? `return r.${a.name}(0, ${cond}, ${t})` : `return await r.${a.name}(0, ${cond}, ${t})`);
      const conds: [string, string, string][] = [
        ['ID with an all-ones mask', '{ mask: -1, value: 0x010000ed }', shown(ID, 4)],
        ['ID with the unsigned all-ones mask', '{ mask: 0xffffffff, value: 0x010000ed }', shown(ID, 4)],
        ['mask past the width', '{ mask: 2 ** 32, value: 0 }', throws(RANGE)],
        ['mask 1.5', '{ mask: 1.5, value: 0 }', throws(RANGE)],
        ['bigint mask', '{ mask: 1n, value: 1n }', throws(TYPE)],
        ['predicate returning a Promise', 'async () => true', throws('ERR_INVALID_RETURN_VALUE TypeError')],
        ['cond null', 'null', throws(TYPE)],
        ['never met, delay 10 s, timeout 1 ms', '{ mask: 0xff, value: 0 }', throws('ETIMEDOUT Error')],
      ];
      for (const [what, cond, expected] of conds) {
        out.push({ id: `uio:${a.name} ${what}`, setup: 'uio', code: run(cond, what.includes('delay 10 s') ? '10_000_000, 1000' : '0, 1000'), expected, timeoutMs: 2000 });
      }
      out.push({ id: `uio:${a.name} timeout past MAX_WAIT_US`, setup: 'uio', code: run('() => true', '0, m.MAX_WAIT_US + 1'), expected: throws(RANGE) });
    }
  }
  const waits: [string, string, string][] = [
    ['timeoutMs 2 ** 31', 'await r.irq.wait({ timeoutMs: 2 ** 31 })', throws(RANGE)],
    ["timeoutMs '5'", "await r.irq.wait({ timeoutMs: '5' })", throws(TYPE)],
    ['timeoutMs -1', 'await r.irq.wait({ timeoutMs: -1 })', throws(RANGE)],
    ['options null', 'await r.irq.wait(null)', throws(TYPE)],
    ['signal {}', 'await r.irq.wait({ signal: {} })', throws(TYPE)],
    ['timeoutMs 20 times out', 'await r.irq.wait({ timeoutMs: 20 })', throws('ETIMEDOUT Error')],
    ['timeoutMs MAX_WAIT_MS is honoured (aborted at 100 ms)', 'await r.irq.wait({ timeoutMs: m.MAX_WAIT_MS, signal: AbortSignal.timeout(100) })', throws('ABORT_ERR AbortError')],
    ['mask, raise while masked, unmask: delivered once', "const regs = r.map(0); r.irq.unmask(); r.irq.mask(); regs.writel(0x10, 0x60); await new Promise((res) => setTimeout(res, 50)); r.irq.unmask(); const e = await r.irq.wait({ timeoutMs: 3000 }); regs.writel(0x10, 0x64); r.irq.unmask(); return e.missed", 'value 0x0'],
  ];
  for (const [what, code, expected] of waits) out.push({ id: `uioirq:wait ${what}`, setup: 'uioirq', code, expected, timeoutMs: 5000 });
  out.push(
    { id: 'devmem:ioremap of MAX_REGION_BYTES + 4 KiB refused before mapping', setup: 'none', isolate: true, code: 'return m.ioremap(0xfe000000, m.MAX_REGION_BYTES + 4096)', expected: throws(RANGE) },
    { id: "devmem:ioremap with a NUL in options.path", setup: 'none', code: "return m.ioremap(0, 4096, { path: '/dev/mem\\0x' })", expected: throws('ERR_INVALID_ARG_VALUE TypeError') },
    { id: 'devmem:mapFile(/dev/null)', setup: 'none', code: "return m.mapFile('/dev/null', 0, 4096)", expected: throws('ENODEV Error') },
    { id: 'uio:openUio(null)', setup: 'none', code: 'return m.openUio(null)', expected: throws(TYPE) },
  );
  return out;
}
