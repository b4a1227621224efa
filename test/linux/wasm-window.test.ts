/**
 * The x86-64 Wasm window (lib/linux/wasm-window.ts, lib/linux/wasm-region.ts): which regions get one, that the
 * switch is visible, that errors are exactly the NativeRegion's, that iounmap puts V8's pages back and stops
 * every later access (from optimized code too, in a child process with --allow-natives-syntax), that bus
 * faults still become EFAULT, that garbage collection leaves nothing mapped, and that the window limit holds.
 * Width exactness is test/access-width.test.ts's (CPU debug registers).
 */
import { execFile } from 'node:child_process';
import { readFileSync, truncateSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { mapFile, WASM_WINDOW_ENABLED, WASM_WINDOW_VERIFIED } from '../../lib/index.js';
import { addon } from '../../lib/linux/addon.js';
import { WASM_WINDOW_LIMIT } from '../../lib/linux/wasm-window.js';
import { mappingsOf, tempFile } from '../helpers/temp-file.js';
import { expectSameErrors, plainNativeRegion } from '../helpers/window-vs-native.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const KIB64 = 65536;

const pathOf = (r: unknown): string => (r as { accessPath?: string }).accessPath ?? (r as object).constructor.name;

describe('the switch', () => {
  it('is on exactly on x86-64 with a verified V8 (and WebAssembly), and exported', () => {
    const verified = WASM_WINDOW_VERIFIED.has(process.versions.v8.split('.').slice(0, 2).join('.'));
    expect(WASM_WINDOW_ENABLED).toBe(process.arch === 'x64' && verified && !process.env.MMIO_NO_WASM_WINDOW);
  });

  it('MMIO_NO_WASM_WINDOW=1 turns it off (a child process)', async () => {
    const lib = JSON.stringify(join(root, 'dist', 'lib', 'index.js'));
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `import { WASM_WINDOW_ENABLED } from ${lib}; console.log(WASM_WINDOW_ENABLED)`], {
      env: { ...process.env, MMIO_NO_WASM_WINDOW: '1' },
    });
    expect(stdout.trim()).toBe('false');
  });
});

describe.skipIf(!WASM_WINDOW_ENABLED)('regions on the Wasm window', () => {
  it('page-aligned writable regions get one; read-only and sub-page starts keep the Atomics.load path', () => {
    const file = tempFile(4 * KIB64);
    try {
      const cases: [ReturnType<typeof mapFile>, string][] = [
        [mapFile(file.path, 0, KIB64), 'Wasm window (bounds by Wasm traps)'],
        [mapFile(file.path, 4096, 3 * KIB64), 'Wasm window (bounds by Wasm traps)'],
        [mapFile(file.path, 0, 4096), 'Wasm window (+ JS bounds check)'],
        [mapFile(file.path, 0, KIB64, { readOnly: true }), 'NativeRegion'],
        [mapFile(file.path, 8, 4096), 'NativeRegion'],
      ];
      for (const [r, want] of cases) {
        expect(pathOf(r)).toBe(want);
        r.iounmap();
      }
    } finally {
      file.cleanup();
    }
  });

  it('reads and writes reach the file, every width and form', () => {
    const file = tempFile(KIB64);
    try {
      const r = mapFile(file.path, 0, KIB64);
      r.writel(0xdeadbeef, 0x10);
      r.writeq(-2n, 0x18);
      r.writew(0xa1b2, 0x20);
      r.writeb(-1, 0x22);
      r.iowrite32be(0x11223344, 0x24);
      r.iowrite16be(0x5566, 0x28);
      r.writel_relaxed(7, KIB64 - 4);
      const f = readFileSync(file.path);
      expect([f.readUInt32LE(0x10), f.readBigUInt64LE(0x18), f.readUInt16LE(0x20), f[0x22], f.readUInt32BE(0x24), f.readUInt16BE(0x28), f.readUInt32LE(KIB64 - 4)]).toEqual([
        0xdeadbeef, 2n ** 64n - 2n, 0xa1b2, 0xff, 0x11223344, 0x5566, 7,
      ]);
      expect([r.readl(0x10), r.readq(0x18), r.readw(0x20), r.readb(0x22), r.ioread32be(0x24), r.ioread16be(0x28), r.readl_relaxed(KIB64 - 4)]).toEqual([
        0xdeadbeef, 2n ** 64n - 2n, 0xa1b2, 0xff, 0x11223344, 0x5566, 7,
      ]);
      r.iounmap();
    } finally {
      file.cleanup();
    }
  });

  it.each([KIB64, 4096])('bad calls throw exactly what the Atomics.load path throws (%i-byte region)', (size) => {
    const file = tempFile(KIB64);
    try {
      const wasm = mapFile(file.path, 0, size);
      const plain = plainNativeRegion(file.path, size);
      type R = typeof wasm;
      const calls: ((r: R) => unknown)[] = [
        (r) => r.readl(size), (r) => r.readl(size - 2), (r) => r.readq(size - 4), (r) => r.readb(size), (r) => r.readw(1),
        (r) => r.readl(2 ** 32), (r) => r.readl(2 ** 32 + 4), (r) => r.readl(-4), (r) => r.readl(1.5), (r) => r.readl(NaN),
        (r) => r.readl('4' as never), (r) => r.readl(4n as never), (r) => r.readq_relaxed(4), (r) => r.ioread32be(size),
        (r) => r.writel(1, size), (r) => r.writel(1, 2), (r) => r.writel(2 ** 32, 0), (r) => r.writel('x' as never, 3),
        (r) => r.writeq(1n << 64n, 0), (r) => r.writeq(1n, size), (r) => r.writew(1, size - 1), (r) => r.writeb(256, 0),
        (r) => r.iowrite16be(1, 1), (r) => r.writeq_relaxed(1n, 4), (r) => r.writel(1n as never, 0), (r) => r.writel(1.5, 0),
        (r) => r.writel(-(2 ** 31) - 1, 0), (r) => r.iowrite32be('1' as never, 0), (r) => r.writeq(1.5 as never, 8),
        // uint32 offsets that would wrap to the region's start (or into the fault page before it, on x86-64) if
        // the Wasm address (offset + the device's place in the memory) were computed in 32 bits: Wasm refuses them.
        (r) => r.readl(2 ** 32 - KIB64), (r) => r.readl(2 ** 32 - KIB64 + 8), (r) => r.readq(2 ** 32 - 8), (r) => r.readb(2 ** 32 - 1),
        (r) => r.writel(0xffffffff, 2 ** 32 - KIB64), (r) => r.writeq(-1n, 2 ** 32 - KIB64 + 8), (r) => r.writeb(0xff, 2 ** 32 - 1),
        (r) => r.writew(0xffff, 2 ** 32 - 2), (r) => r.iowrite32be(1, 2 ** 32 - 4),
      ];
      expectSameErrors(wasm, plain, calls);
      // None of the refused writes reached the file (nor the fault word: the next region's accesses just work).
      expect(readFileSync(file.path).equals(Buffer.alloc(KIB64))).toBe(true);
      const again = mapFile(file.path, 0, size);
      again.writel(0x5a5a5a5a, 0);
      expect(again.readl(0)).toBe(0x5a5a5a5a);
      again.iounmap();
    } finally {
      file.cleanup();
    }
  });

  it('after iounmap, code optimized before it throws ERR_IOMEM_UNMAPPED and no write reaches the file, nor the region that reuses the window', async () => {
    const file = tempFile(KIB64);
    const next = tempFile(KIB64);
    try {
      const lib = JSON.stringify(join(root, 'dist', 'lib', 'index.js'));
      const code = `
        import { mapFile } from ${lib};
        import { readFileSync } from 'node:fs';
        const r = mapFile(${JSON.stringify(file.path)}, 0, ${KIB64});
        const hot = new Function('r', 'n', 'let s = 0; for (let i = 0; i < n; i++) { r.writel(i + 1, 64); s ^= r.readl(64) ^ r.readb(65) ^ Number(r.readq(128)); } return s;');
        %PrepareFunctionForOptimization(hot);
        hot(r, 100); hot(r, 100);
        %OptimizeFunctionOnNextCall(hot);
        hot(r, 100);
        const optimized = %ActiveTierIsTurbofan(hot);
        r.iounmap();
        const reuser = mapFile(${JSON.stringify(next.path)}, 0, ${KIB64}); // takes the window r gave back
        let error;
        try { hot(r, 1); } catch (e) { error = e.code; }
        const read = [() => r.readl(64), () => r.readq(128), () => r.writel(5, 64), () => r.iowrite32be(5, 72)].map((f) => { try { f(); return 'no error'; } catch (e) { return e.code; } });
        reuser.writel(0xabcd, 64);
        const reuserRead = reuser.readl(64); // no stale fault word from r's iounmap (the fault page is shared)
        reuser.writel(0, 64);
        console.log(JSON.stringify({ optimized, error, read, reuserRead, file: readFileSync(${JSON.stringify(file.path)}).readUInt32LE(64),
          next: [readFileSync(${JSON.stringify(next.path)}).readUInt32LE(64), readFileSync(${JSON.stringify(next.path)}).readUInt32LE(72)],
          reuserPath: reuser.accessPath, mapped: readFileSync('/proc/self/maps', 'utf8').includes(${JSON.stringify(file.path)}) }));
      `;
      const { stdout } = await run(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', code]);
      expect(JSON.parse(stdout)).toEqual({
        optimized: true,
        error: 'ERR_IOMEM_UNMAPPED',
        read: Array(4).fill('ERR_IOMEM_UNMAPPED'),
        reuserRead: 0xabcd,
        file: 100,
        next: [0, 0],
        reuserPath: 'Wasm window (bounds by Wasm traps)',
        mapped: false,
      });
    } finally {
      file.cleanup();
      next.cleanup();
    }
  });

  /**
   * In a child: `body` (a loop over `r`, `off`, `n`) optimized by TurboFan on a 64 KiB file mapping, then run
   * once more after the file is cut to 4 KiB, so the access at `off` (0x8000) bus-faults.
   * @returns whether the loop was optimized, and the error's code, syscall and offset.
   */
  async function faultInOptimizedLoop(body: string, flags: string[] = []): Promise<unknown> {
    const file = tempFile(KIB64);
    try {
      const lib = JSON.stringify(join(root, 'dist', 'lib', 'index.js'));
      const code = `
        import { mapFile } from ${lib};
        import { truncateSync } from 'node:fs';
        const r = mapFile(${JSON.stringify(file.path)}, 0, ${KIB64});
        const hot = new Function('r', 'off', 'n', ${JSON.stringify(body)});
        %PrepareFunctionForOptimization(hot);
        hot(r, 0x8000, 100); hot(r, 0x8000, 100);
        %OptimizeFunctionOnNextCall(hot);
        hot(r, 0x8000, 100);
        const optimized = %ActiveTierIsTurbofan(hot);
        truncateSync(${JSON.stringify(file.path)}, 4096);
        let error;
        try { hot(r, 0x8000, 1); } catch (e) { error = [e.code, e.syscall, e.offset]; }
        console.log(JSON.stringify({ optimized, error }));
      `;
      const { stdout } = await run(process.execPath, ['--allow-natives-syntax', ...flags, '--input-type=module', '-e', code]);
      return JSON.parse(stdout);
    } finally {
      file.cleanup();
    }
  }

  it('a bus fault on the second of two accesses in optimized code is EFAULT (the fault word is read after each access)', async () => {
    const body = 'let s = 0; for (let i = 0; i < n; i++) { s ^= r.readl(0); s ^= r.readl(off); r.writel(s & 1, off + 8); s ^= r.readb(off + 16); } return s;';
    expect(await faultInOptimizedLoop(body)).toEqual({ optimized: true, error: ['EFAULT', 'readl', 0x8000] });
  });

  // On x86-64 the fault word is checked by the Wasm function itself (a trap after the access), so each form's
  // fault is checked in both of Wasm's tiers: Liftoff (what runs first) and TurboFan (after tier-up).
  it.each([
    ['Liftoff', ['--liftoff', '--no-wasm-tier-up']],
    ['TurboFan', ['--no-liftoff']],
  ])('a bus fault is EFAULT with its own syscall on every single-access form, Wasm compiled by %s (a child process)', async (_tier, flags) => {
    const file = tempFile(KIB64);
    try {
      const lib = JSON.stringify(join(root, 'dist', 'lib', 'index.js'));
      const forms = ['readb', 'readw', 'readl', 'readq', 'readb_relaxed', 'readw_relaxed', 'readl_relaxed', 'readq_relaxed', 'ioread16be', 'ioread32be',
        'writeb', 'writew', 'writel', 'writeq', 'writeb_relaxed', 'writew_relaxed', 'writel_relaxed', 'writeq_relaxed', 'iowrite16be', 'iowrite32be'];
      const code = `
        import { mapFile } from ${lib};
        import { truncateSync } from 'node:fs';
        const path = ${JSON.stringify(file.path)};
        const out = {};
        for (const form of ${JSON.stringify(forms)}) {
          truncateSync(path, ${KIB64});
          const r = mapFile(path, 0, ${KIB64});
          const call = form.startsWith('read') || form.startsWith('ioread') ? () => r[form](0x8000) : () => r[form](form.endsWith('q') || form.endsWith('q_relaxed') ? 1n : 1, 0x8000);
          const before = form.startsWith('read') || form.startsWith('ioread') ? r[form](0x9000) : (r[form](form.includes('q') ? 0n : 0, 0x9000), 'ok');
          truncateSync(path, 4096);
          let error = null;
          try { call(); } catch (e) { error = [e.code, e.syscall, e.offset]; }
          let after = null;
          try { r.readl(0); } catch (e) { after = e.code; }
          r.iounmap();
          out[form] = { before: String(before), error, after };
        }
        console.log(JSON.stringify(out));
      `;
      const { stdout } = await run(process.execPath, [...flags, '--input-type=module', '-e', code]);
      const want = Object.fromEntries(forms.map((f) => [f, { before: f.includes('read') ? '0' : 'ok', error: ['EFAULT', f, 0x8000], after: 'EFAULT' }]));
      expect(JSON.parse(stdout)).toEqual(want);
    } finally {
      file.cleanup();
    }
  });

  it('a bus fault on a write in optimized code is EFAULT (the fault check is made after the store)', async () => {
    const body = 'for (let i = 0; i < n; i++) { r.writel(i, 0); r.writel(i, off); r.writeq(BigInt(i), off + 8); }';
    expect(await faultInOptimizedLoop(body, ['--no-liftoff'])).toEqual({ optimized: true, error: ['EFAULT', 'writel', 0x8000] });
  });

  it('the addon refuses an intoOffset that is not a whole number of pages inside the buffer, and maps nothing', () => {
    const file = tempFile(KIB64);
    try {
      const into = new WebAssembly.Memory({ initial: 2, maximum: 2 }).buffer;
      for (const intoOffset of [0, 100, 4095, 4097, 2 * KIB64, 3 * KIB64, -4096, NaN]) {
        expect(() => addon().map(file.path, 0n, KIB64, { sync: true, readOnly: false, into, intoOffset }), String(intoOffset)).toThrow(RangeError);
      }
      expect(mappingsOf(file.path)).toBe(0);
      // A mapping that does not fit after the offset is refused too (it would reach past the memory).
      expect(() => addon().map(file.path, 0n, KIB64, { sync: true, readOnly: false, into, intoOffset: KIB64 + 4096 })).toThrow(/does not fit the Wasm window/);
      expect(mappingsOf(file.path)).toBe(0);
    } finally {
      file.cleanup();
    }
  });

  it('a bus fault in a whole-page window (Wasm bounds) is EFAULT, and the region is poisoned', () => {
    const file = tempFile(KIB64);
    try {
      const r = mapFile(file.path, 0, KIB64);
      r.writel(0x1234, 0);
      truncateSync(file.path, 4096);
      expect(() => r.readl(0x8000)).toThrow(expect.objectContaining({ code: 'EFAULT', syscall: 'readl', offset: 0x8000, signal: 'SIGBUS' }));
      expect(() => r.writeq_relaxed(1n, 0x9000)).toThrow(expect.objectContaining({ code: 'EFAULT' }));
      expect(() => r.readl(0)).toThrow(expect.objectContaining({ code: 'EFAULT' }));
      r.iounmap();
      expect(() => r.readl(0)).toThrow(expect.objectContaining({ code: 'ERR_IOMEM_UNMAPPED' }));
    } finally {
      file.cleanup();
    }
  });

  it('regions dropped without iounmap are unmapped by garbage collection', async () => {
    const file = tempFile(KIB64);
    try {
      (() => {
        for (let i = 0; i < 20; i++) mapFile(file.path, 0, KIB64).writel(i, 0);
      })();
      expect(mappingsOf(file.path)).toBeGreaterThan(0);
      for (let i = 0; i < 6; i++) {
        gc();
        await new Promise((r) => setImmediate(r));
      }
      expect(mappingsOf(file.path)).toBe(0);
      // The pages V8 got back are usable: new windows still open and work.
      const r = mapFile(file.path, 0, KIB64);
      expect(pathOf(r)).toMatch(/^Wasm window/);
      expect(r.readl(0)).toBe(19);
      r.iounmap();
    } finally {
      file.cleanup();
    }
  });

  it(`beyond ${WASM_WINDOW_LIMIT} live windows, new regions take the Atomics.load path and all of them work`, () => {
    const file = tempFile(4096);
    const regions: ReturnType<typeof mapFile>[] = [];
    try {
      for (let i = 0; i < WASM_WINDOW_LIMIT + 8; i++) regions.push(mapFile(file.path, 0, 4096));
      const paths = regions.map(pathOf);
      expect(paths.filter((p) => p === 'NativeRegion').length).toBeGreaterThanOrEqual(8);
      regions.forEach((r, i) => r.writel(i, 4 * (i % 1024)));
      regions.forEach((r, i) => expect(r.readl(4 * (i % 1024))).toBe(i));
    } finally {
      regions.forEach((r) => r.iounmap());
      file.cleanup();
    }
  });
});
