/**
 * Differential test: the same random sequence of operations on a native file-backed mapping and on the
 * simulated backend (plain memory), every value read compared. fast-check shrinks a failure to a minimal
 * sequence. Set MMIO_DIFF_OPS to run more operations (`npm run test:diff` runs 100 000).
 *
 * Operations: every width (8/16/32/64) of read and write in its three forms (readX, readX_relaxed, ioreadN /
 * writeX, writeX_relaxed, iowriteN), values anywhere in the signed and unsigned range (64-bit as bigint or safe
 * integer), the big-endian forms, atomic polls whose condition holds (native `{ mask, value }` spin and the
 * predicate path), memcpy_fromio/memcpy_toio/memset_io, and the _rep forms, with buffers that may start
 * inside a bigger ArrayBuffer.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapFile, type IoRegion } from '../lib/index.js';
import { RegisterModel, SimRegion } from '../lib/sim/index.js';
import { tempFile } from './helpers/temp-file.js';

const SIZE = 1024;
const TOTAL_OPS = Number(process.env.MMIO_DIFF_OPS ?? 20_000);
const OPS_PER_RUN = 50;

type Op = { name: string; run(r: IoRegion): unknown };

const aligned = (w: number) => fc.nat({ max: SIZE / w - 1 }).map((i) => i * w);
const u = (bits: number) => fc.nat({ max: 2 ** bits - 1 });

/** A value for a `w`-byte write: anything that fits, signed or unsigned (writel(~x) is legal). */
const value = (w: 1 | 2 | 4) => fc.integer({ min: -(2 ** (w * 8 - 1)), max: 2 ** (w * 8) - 1 });
const value64 = fc.oneof(
  fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }),
  fc.maxSafeInteger().filter((v) => v >= -Number.MAX_SAFE_INTEGER), // a safe-integer number is accepted too
);

type Flavour = 'ordered' | 'relaxed' | 'io';
const flavour = fc.constantFrom<Flavour>('ordered', 'relaxed', 'io');

function read(r: IoRegion, w: number, f: Flavour, off: number): number | bigint {
  switch (w) {
    case 1: return f === 'relaxed' ? r.readb_relaxed(off) : f === 'io' ? r.ioread8(off) : r.readb(off);
    case 2: return f === 'relaxed' ? r.readw_relaxed(off) : f === 'io' ? r.ioread16(off) : r.readw(off);
    case 4: return f === 'relaxed' ? r.readl_relaxed(off) : f === 'io' ? r.ioread32(off) : r.readl(off);
    default: return f === 'relaxed' ? r.readq_relaxed(off) : f === 'io' ? r.ioread64(off) : r.readq(off);
  }
}

function write(r: IoRegion, w: number, f: Flavour, v: number | bigint, off: number): void {
  switch (w) {
    case 1: return f === 'relaxed' ? r.writeb_relaxed(v as number, off) : f === 'io' ? r.iowrite8(v as number, off) : r.writeb(v as number, off);
    case 2: return f === 'relaxed' ? r.writew_relaxed(v as number, off) : f === 'io' ? r.iowrite16(v as number, off) : r.writew(v as number, off);
    case 4: return f === 'relaxed' ? r.writel_relaxed(v as number, off) : f === 'io' ? r.iowrite32(v as number, off) : r.writel(v as number, off);
    default: return f === 'relaxed' ? r.writeq_relaxed(v as bigint, off) : f === 'io' ? r.iowrite64(v as bigint, off) : r.writeq(v as bigint, off);
  }
}

/** A buffer of `n` elements that may sit at an offset inside a bigger ArrayBuffer (a subarray). */
function buffer<T extends Uint8Array | Uint16Array | Uint32Array>(ctor: { new (n: number): T }, n: number, at: number): T {
  return new ctor(n + at).subarray(at) as T;
}

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(fc.constantFrom(1, 2, 4, 8), flavour).chain(([w, f]) =>
    aligned(w).map((off) => ({ name: `read${w * 8}${f === 'ordered' ? '' : `(${f})`}@${off}`, run: (r: IoRegion) => read(r, w, f, off) })),
  ),
  fc.tuple(fc.constantFrom<1 | 2 | 4>(1, 2, 4), flavour).chain(([w, f]) =>
    fc.tuple(aligned(w), value(w)).map(([off, v]) => ({
      name: `write${w * 8}${f === 'ordered' ? '' : `(${f})`} ${v}@${off}`,
      run: (r: IoRegion) => write(r, w, f, v, off),
    })),
  ),
  fc.tuple(aligned(8), value64, flavour).map(([off, v, f]) => ({
    name: `write64${f === 'ordered' ? '' : `(${f})`} ${typeof v === 'bigint' ? `${v}n` : v}@${off}`,
    run: (r: IoRegion) => write(r, 8, f, v, off),
  })),
  aligned(2).map((off) => ({ name: `ioread16be@${off}`, run: (r: IoRegion) => r.ioread16be(off) })),
  aligned(4).map((off) => ({ name: `ioread32be@${off}`, run: (r: IoRegion) => r.ioread32be(off) })),
  fc.tuple(aligned(2), value(2)).map(([off, v]) => ({ name: `iowrite16be ${v}@${off}`, run: (r: IoRegion) => r.iowrite16be(v, off) })),
  fc.tuple(aligned(4), value(4)).map(([off, v]) => ({ name: `iowrite32be ${v}@${off}`, run: (r: IoRegion) => r.iowrite32be(v, off) })),
  // Polls whose condition holds at once: the native { mask, value } spin and the predicate path return the value read.
  fc.tuple(fc.constantFrom(1, 2, 4, 8), fc.boolean()).chain(([w, native]) =>
    aligned(w).map((off) => ({
      name: `read${w * 8}_poll_timeout_atomic(${native ? '{ mask: 0, value: 0 }' : '() => true'})@${off}`,
      run: (r: IoRegion) => {
        if (w === 8) return r.readq_poll_timeout_atomic(off, native ? { mask: 0n, value: 0n } : () => true, 0, 1000);
        const cond = native ? { mask: 0, value: 0 } : () => true;
        return w === 1 ? r.readb_poll_timeout_atomic(off, cond, 0, 1000)
          : w === 2 ? r.readw_poll_timeout_atomic(off, cond, 0, 1000)
          : r.readl_poll_timeout_atomic(off, cond, 0, 1000);
      },
    })),
  ),
  fc.tuple(fc.nat({ max: SIZE - 1 }), fc.nat({ max: 64 }), fc.nat({ max: 7 })).filter(([off, n]) => off + n <= SIZE).map(([off, n, at]) => ({
    name: `memcpy_fromio ${n}@${off} (dst at +${at})`,
    run: (r: IoRegion) => {
      const dst = buffer(Uint8Array, n, at);
      r.memcpy_fromio(dst, off, n);
      return Array.from(dst);
    },
  })),
  fc.tuple(fc.nat({ max: SIZE - 1 }), fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 7 })).filter(([off, src]) => off + src.length <= SIZE).map(([off, bytes, at]) => ({
    name: `memcpy_toio ${bytes.length}@${off} (src at +${at})`,
    run: (r: IoRegion) => {
      const src = buffer(Uint8Array, bytes.length, at);
      src.set(bytes);
      r.memcpy_toio(off, src, src.length);
    },
  })),
  fc.tuple(fc.nat({ max: SIZE - 1 }), value(1), fc.nat({ max: 64 })).filter(([off, , n]) => off + n <= SIZE).map(([off, v, n]) => ({
    name: `memset_io ${v}x${n}@${off}`,
    run: (r: IoRegion) => r.memset_io(off, v, n),
  })),
  fc.tuple(fc.constantFrom(1, 2, 4), fc.nat({ max: 8 }), fc.nat({ max: 3 })).chain(([w, n, at]) =>
    aligned(w).map((off) => ({
      name: `ioread${w * 8}_rep ${n}@${off} (dst at +${at})`,
      run: (r: IoRegion) => {
        if (w === 1) { const b = buffer(Uint8Array, n, at); r.ioread8_rep(off, b, n); return Array.from(b); }
        if (w === 2) { const b = buffer(Uint16Array, n, at); r.ioread16_rep(off, b, n); return Array.from(b); }
        const b = buffer(Uint32Array, n, at); r.ioread32_rep(off, b, n); return Array.from(b);
      },
    })),
  ),
  fc.tuple(fc.constantFrom(1, 2, 4), fc.array(u(32), { maxLength: 8 }), fc.nat({ max: 3 })).chain(([w, values, at]) =>
    aligned(w).map((off) => ({
      name: `iowrite${w * 8}_rep [${values}]@${off} (src at +${at})`,
      run: (r: IoRegion) => {
        const masked = values.map((v) => (w === 4 ? v : v & (2 ** (w * 8) - 1)));
        const ctor = w === 1 ? Uint8Array : w === 2 ? Uint16Array : Uint32Array;
        const src = buffer(ctor as typeof Uint32Array, masked.length, at);
        src.set(masked);
        if (w === 1) r.iowrite8_rep(off, src as unknown as Uint8Array, masked.length);
        else if (w === 2) r.iowrite16_rep(off, src as unknown as Uint16Array, masked.length);
        else r.iowrite32_rep(off, src, masked.length);
      },
    })),
  ),
);

let file: ReturnType<typeof tempFile>;
let native: IoRegion;
beforeAll(() => {
  file = tempFile(SIZE);
  native = mapFile(file.path, 0, SIZE);
});
afterAll(() => {
  native.iounmap();
  file.cleanup();
});

describe('native file mapping vs simulated memory', () => {
  it(`${TOTAL_OPS} random operations give the same values on both`, () => {
    let executed = 0;
    const property = fc.property(fc.array(op, { minLength: 1, maxLength: OPS_PER_RUN, size: 'max' }), (ops) => {
      executed += ops.length;
      native.memset_io(0, 0, SIZE);
      const sim = new SimRegion(new RegisterModel({ size: SIZE }), { name: 'diff' });
      for (const o of ops) {
        expect({ op: o.name, value: o.run(sim) }).toEqual({ op: o.name, value: o.run(native) });
      }
      const a = new Uint8Array(SIZE);
      const b = new Uint8Array(SIZE);
      native.memcpy_fromio(a, 0, SIZE);
      sim.memcpy_fromio(b, 0, SIZE);
      expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    });
    // Sequences are 1..OPS_PER_RUN long: run until at least TOTAL_OPS operations have been compared.
    while (executed < TOTAL_OPS) {
      fc.assert(property, { numRuns: Math.max(1, Math.ceil((TOTAL_OPS - executed) / (OPS_PER_RUN / 2))) });
    }
    expect(executed).toBeGreaterThanOrEqual(TOTAL_OPS);
  }, Math.max(20_000, TOTAL_OPS * 2));

  it('the comparison can fail: a sim that drops one byte write is caught and shrunk', () => {
    const result = fc.check(
      fc.property(fc.array(op, { minLength: 1, maxLength: OPS_PER_RUN }), (ops) => {
        native.memset_io(0, 0, SIZE);
        const sim = new SimRegion(new RegisterModel({ size: SIZE }), { name: 'broken' });
        const lossy = new Proxy(sim, {
          get: (target, prop) => {
            const value = Reflect.get(target, prop, target);
            if (prop === 'writeb') return () => {}; // the bug: byte writes are lost
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        for (const o of ops) expect(o.run(lossy)).toEqual(o.run(native));
        const a = new Uint8Array(SIZE);
        const b = new Uint8Array(SIZE);
        native.memcpy_fromio(a, 0, SIZE);
        sim.memcpy_fromio(b, 0, SIZE);
        expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
      }),
      { numRuns: 500, seed: 42 },
    );
    expect(result.failed).toBe(true);
    const shrunk = result.counterexample?.[0] ?? [];
    expect(shrunk.length).toBeLessThanOrEqual(2); // shrunk to (nearly) the single writeb that matters
    expect(shrunk.some((o) => /^write8 (?!0@)/.test(o.name))).toBe(true); // an 8-bit writeb of a non-zero value
  });
});
