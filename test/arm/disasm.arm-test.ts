/**
 * The barriers in the built ARM addons are the ones Linux uses (see disasm.ts for the rules). Runs on the
 * prebuilds that `npm run build:prebuilds` makes (the binaries that are shipped, checked before strip:
 * the same .text), disassembled with Debian's
 * cross binutils; and shows the checker fails on regressions: hand-written wrong sequences, and
 * native/accessors.cc compiled against an io_access.h whose barriers were deliberately broken.
 * `npm run test:arm` (vitest.arm.config.ts).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  accessorName,
  checkBarrierFn,
  checkOrderedRead,
  checkOrderedWrite,
  checkRelaxed,
  parseObjdump,
  type Arch,
  type Insn,
  type Width,
} from './disasm.js';

const ROOT = join(import.meta.dirname, '../..');
const TRIPLET: Record<Arch, string> = { arm64: 'aarch64-linux-gnu', arm: 'arm-linux-gnueabihf' };

function nodeFile(dir: string): string {
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.node')) : undefined;
  if (!file) throw new Error(`no prebuild in ${dir}: run npm run build:prebuilds first`);
  return join(dir, file);
}

/** The shipped (stripped) prebuild. */
const shipped = (arch: Arch) => nodeFile(join(ROOT, 'prebuilds', `linux-${arch}`));
/** The same link output before strip, with the symbols the checks look functions up by (tools/arm/prebuild.sh). */
const prebuild = (arch: Arch) => nodeFile(join(ROOT, 'build', 'prebuild', 'unstripped', `linux-${arch}`));

/** The raw bytes of the .text section. */
function textSection(arch: Arch, file: string): Buffer {
  const out = join(mkdtempSync(join(tmpdir(), 'mmio-text-')), 'text.bin');
  execFileSync(`${TRIPLET[arch]}-objcopy`, ['-O', 'binary', '--only-section=.text', file, out]);
  const bytes = readFileSync(out);
  rmSync(join(out, '..'), { recursive: true, force: true });
  return bytes;
}

function disassemble(arch: Arch, file: string): Map<string, Insn[]> {
  const text = execFileSync(`${TRIPLET[arch]}-objdump`, ['-d', '-C', '--no-show-raw-insn', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return parseObjdump(text);
}

function fn(fns: Map<string, Insn[]>, name: string): Insn[] {
  const f = fns.get(name);
  if (!f) throw new Error(`function not found in the disassembly: ${name}`);
  return f;
}

const WIDTHS: Width[] = [1, 2, 4, 8];
const BARRIERS: Record<Arch, Record<'Mb' | 'Rmb' | 'Wmb', string>> = {
  arm64: { Mb: 'dsb sy', Rmb: 'dsb ld', Wmb: 'dsb st' },
  arm: { Mb: 'dsb sy', Rmb: 'dsb sy', Wmb: 'dsb st' },
};

/** Every accessor of native/accessors.cc and the barrier functions: the list of problems (empty: all hold). */
function checkAddon(arch: Arch, fns: Map<string, Insn[]>): string[] {
  const problems: string[] = [];
  const add = (what: string, p: string[]) => problems.push(...p.map((s) => `${what}: ${s}`));
  for (const w of WIDTHS) {
    add(`read${w * 8}`, checkOrderedRead(arch, fn(fns, accessorName(arch, 'Read', w, true)), w));
    add(`write${w * 8}`, checkOrderedWrite(arch, fn(fns, accessorName(arch, 'Write', w, true)), w));
    add(`read${w * 8}_relaxed`, checkRelaxed(arch, fn(fns, accessorName(arch, 'Read', w, false)), 'load', w));
    add(`write${w * 8}_relaxed`, checkRelaxed(arch, fn(fns, accessorName(arch, 'Write', w, false)), 'store', w));
  }
  for (const w of [2, 4] as Width[]) {
    add(`ioread${w * 8}be`, checkOrderedRead(arch, fn(fns, accessorName(arch, 'Read', w, true, true)), w));
    add(`iowrite${w * 8}be`, checkOrderedWrite(arch, fn(fns, accessorName(arch, 'Write', w, true, true)), w));
  }
  for (const [name, want] of Object.entries(BARRIERS[arch])) {
    add(name.toLowerCase(), checkBarrierFn(fn(fns, `mmio::(anonymous namespace)::${name}(Napi::CallbackInfo const&)`), want));
  }
  return problems;
}

describe.each(['arm64', 'arm'] as Arch[])('%s prebuild: barriers as in Linux', (arch) => {
  const fns = disassemble(arch, prebuild(arch));

  it('the checked binary is the shipped one before strip: same .text, byte for byte', () => {
    const text = textSection(arch, shipped(arch));
    expect(text.length).toBeGreaterThan(4096);
    expect(text.equals(textSection(arch, prebuild(arch)))).toBe(true);
  });

  it('every readX/writeX, _relaxed, big-endian accessor and mb/rmb/wmb', () => {
    expect(checkAddon(arch, fns)).toEqual([]);
  });

  it('read32: the load, then the barrier (shown)', () => {
    const f = fn(fns, accessorName(arch, 'Read', 4, true));
    const k = f.findIndex((i) => i.op === 'ldr' && /^\[(x\d+|r\d+)(, #0)?\]$/.test(i.args[1] ?? '') && f.slice(f.indexOf(i)).some((j) => j.op === (arch === 'arm64' ? 'dmb' : 'dsb')));
    const seq = f.slice(k, k + 6).map((i) => `${i.op} ${i.args.join(', ')}`);
    if (arch === 'arm64') expect(seq.join('; ')).toMatch(/^ldr w\d+, \[x\d+\];.*eor x(\d+), x\d+, x\d+; cbnz x\1, [0-9a-f]+; dmb oshld/);
    else expect(seq.join('; ')).toMatch(/^ldr r\d+, \[r\d+(, #0)?\]; dsb sy/);
  });
});

// --- the checker must fail on regressions -------------------------------------------------------
const snippet = (lines: string[]): Insn[] =>
  parseObjdump(['0000000000001000 <f>:', ...lines.map((l, k) => `    ${(0x1000 + 4 * k).toString(16)}:\t${l}`)].join('\n')).get('f')!;

describe('the checker rejects wrong sequences', () => {
  it('arm64: a correct read passes, and each mutation fails', () => {
    const good = ['ldr\tw1, [x1]', 'mov\tw0, w1', 'eor\tx0, x0, x0', 'cbnz\tx0, 100c <f+0xc>', 'dmb\toshld', 'bl\t5010 <napi_create_uint32@plt>'];
    expect(checkOrderedRead('arm64', snippet(good), 4)).toEqual([]);
    const noDmb = good.filter((l) => !l.startsWith('dmb'));
    expect(checkOrderedRead('arm64', snippet(noDmb), 4)).not.toEqual([]);
    const wrongDmb = good.map((l) => l.replace('oshld', 'ishld'));
    expect(checkOrderedRead('arm64', snippet(wrongDmb), 4)).not.toEqual([]);
    const dmbFirst = ['dmb\toshld', 'ldr\tw1, [x1]', 'mov\tw0, w1', 'eor\tx0, x0, x0', 'cbnz\tx0, 1010 <f+0x10>', 'bl\t5010 <x>'];
    expect(checkOrderedRead('arm64', snippet(dmbFirst), 4)).not.toEqual([]);
    const noDependency = ['ldr\tw1, [x1]', 'eor\tx0, x2, x2', 'cbnz\tx0, 1008 <f+0x8>', 'dmb\toshld', 'bl\t5010 <x>'];
    expect(checkOrderedRead('arm64', snippet(noDependency), 4)).not.toEqual([]);
    const wrongWidth = good.map((l) => l.replace('ldr\tw1', 'ldrb\tw1'));
    expect(checkOrderedRead('arm64', snippet(wrongWidth), 4)).not.toEqual([]);
    // Every device access is inspected: a second load without its barrier fails, though the first one is right.
    const secondUnordered = [...good.slice(0, 5), 'ldr\tw3, [x4]', 'bl\t5010 <napi_create_uint32@plt>'];
    expect(checkOrderedRead('arm64', snippet(secondUnordered), 4)).not.toEqual([]);
    const twoOrdered = [...good.slice(0, 5), 'ldr\tw3, [x4]', 'mov\tw0, w3', 'eor\tx0, x0, x0', 'cbnz\tx0, 1020 <f+0x20>', 'dmb\toshld', 'bl\t5010 <x>'];
    expect(checkOrderedRead('arm64', snippet(twoOrdered), 4)).toEqual([]);
  });

  it('arm64: writes need dmb oshst right before the store; relaxed forms no barrier', () => {
    expect(checkOrderedWrite('arm64', snippet(['add\tx0, x0, x2', 'dmb\toshst', 'str\tw1, [x0]', 'ret']), 4)).toEqual([]);
    expect(checkOrderedWrite('arm64', snippet(['dmb\toshld', 'str\tw1, [x0]', 'ret']), 4)).not.toEqual([]);
    expect(checkOrderedWrite('arm64', snippet(['str\tw1, [x0]', 'dmb\toshst', 'ret']), 4)).not.toEqual([]);
    expect(checkOrderedWrite('arm64', snippet(['dmb\toshst', 'ldr\tx3, [sp, #8]', 'str\tw1, [x0]']), 4)).not.toEqual([]);
    // Every device store is inspected: the second store has no barrier of its own.
    expect(checkOrderedWrite('arm64', snippet(['dmb\toshst', 'str\tw1, [x0]', 'add\tx0, x0, #4', 'str\tw1, [x0]', 'ret']), 4)).not.toEqual([]);
    expect(checkOrderedWrite('arm64', snippet(['dmb\toshst', 'str\tw1, [x0]', 'dmb\toshst', 'str\tw1, [x2]', 'ret']), 4)).toEqual([]);
    expect(checkRelaxed('arm64', snippet(['ldr\tw1, [x1]', 'bl\t5010 <x>']), 'load', 4)).toEqual([]);
    expect(checkRelaxed('arm64', snippet(['ldr\tw1, [x1]', 'dmb\toshld', 'bl\t5010 <x>']), 'load', 4)).not.toEqual([]);
    expect(checkBarrierFn(snippet(['dsb\tld', 'ret']), 'dsb sy')).not.toEqual([]);
  });

  it('armv7: dsb (sy) after loads, dsb st before stores', () => {
    expect(checkOrderedRead('arm', snippet(['ldr\tr1, [r1, #0]', 'dsb\tsy', 'mov\tr2, r8']), 4)).toEqual([]);
    expect(checkOrderedRead('arm', snippet(['ldr\tr1, [r1, #0]', 'dsb\tst', 'mov\tr2, r8']), 4)).not.toEqual([]);
    expect(checkOrderedRead('arm', snippet(['ldr\tr1, [r1, #0]', 'dmb\tsy', 'mov\tr2, r8']), 4)).not.toEqual([]);
    expect(checkOrderedWrite('arm', snippet(['dsb\tst', 'str\tr2, [r3, #0]']), 4)).toEqual([]);
    expect(checkOrderedWrite('arm', snippet(['dsb\tsy', 'str\tr2, [r3, #0]']), 4)).not.toEqual([]);
    expect(checkOrderedWrite('arm', snippet(['str\tr2, [r3, #0]', 'dsb\tst']), 4)).not.toEqual([]);
  });
});

// A real regression: native/accessors.cc compiled (with the same cross compiler) against io_access.h
// with one barrier broken. The whole-addon check must name exactly what broke.
describe('the checker catches a broken io_access.h in compiled code', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'mmio-disasm-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const require = createRequire(import.meta.url);
  const includes = [require('node-api-headers').include_dir as string, (require('node-addon-api').include_dir as string).replace(/"/g, '')];

  function compileMutated(arch: Arch, from: string, to: string): Map<string, Insn[]> {
    const dir = join(tmp, `${arch}-${Math.random().toString(36).slice(2)}`);
    cpSync(join(ROOT, 'native'), dir, { recursive: true });
    const header = readFileSync(join(dir, 'io_access.h'), 'utf8');
    expect(header).toContain(from);
    writeFileSync(join(dir, 'io_access.h'), header.replace(from, to));
    const obj = join(dir, 'out.o');
    // accessors.cc holds the accessors; addon.cc the barrier functions: both into one object file.
    const objs = ['accessors.cc', 'addon.cc'].map((src) => {
      const o = join(dir, src + '.o');
      execFileSync(`${TRIPLET[arch]}-g++`, ['-std=c++17', '-O2', '-fexceptions', '-fPIC', '-DNAPI_VERSION=8', '-DNODE_ADDON_API_DISABLE_DEPRECATED',
        ...includes.map((i) => `-I${i}`), '-c', join(dir, src), '-o', o]);
      return o;
    });
    execFileSync(`${TRIPLET[arch]}-ld`, ['-r', ...objs, '-o', obj]);
    return disassemble(arch, obj);
  }

  it('arm64: read barrier dropped (dmb oshld -> nop)', () => {
    const p = checkAddon('arm64', compileMutated('arm64', 'cbnz %0, .\\n\\tdmb oshld', 'cbnz %0, .\\n\\tnop'));
    expect(p.length).toBeGreaterThan(0);
    expect(p.every((s) => /^(read|ioread)\d+(be)?:/.test(s))).toBe(true);
  }, 60_000);

  it('arm64: write barrier of the wrong kind (dmb oshst -> dmb ishst)', () => {
    const p = checkAddon('arm64', compileMutated('arm64', 'asm volatile("dmb oshst"', 'asm volatile("dmb ishst"'));
    expect(p.length).toBeGreaterThan(0);
    expect(p.every((s) => /^(write|iowrite)\d+(be)?:/.test(s))).toBe(true);
  }, 60_000);

  it('armv7: write barrier dropped (dsb st -> nothing)', () => {
    const p = checkAddon('arm', compileMutated('arm', 'inline void io_before_write() { asm volatile("dsb st" ::: "memory"); }', 'inline void io_before_write() { asm volatile("" ::: "memory"); }'));
    expect(p.length).toBeGreaterThan(0);
    expect(p.every((s) => /^(write|iowrite)\d+(be)?:/.test(s))).toBe(true);
  }, 60_000);

  it('the unmutated sources compiled the same way pass', () => {
    expect(checkAddon('arm64', compileMutated('arm64', 'namespace mmio {', 'namespace mmio {'))).toEqual([]);
  }, 60_000);
});
