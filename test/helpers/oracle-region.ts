/**
 * The differential test's oracle: the documented IoRegion contract written again from scratch over a plain
 * ArrayBuffer, sharing no code with lib/ (not its checks, not its poll), so a bug in the shared checks shows as a
 * divergence. What it models: little-endian storage; the value each accessor returns; the errors each bad
 * argument gets, by class and `code`, in the documented order (offset, then value / condition, then times);
 * polls that decide on the first read or time out (the memory never changes behind the oracle's back).
 */
const U64 = (1n << 64n) - 1n;
const MAX_WAIT_US = 0x7fff_ffff * 1000;

/** The error an oracle check raises: a class name and a code, compared with what the backends throw. */
export class OracleError extends Error {
  constructor(
    readonly kind: 'TypeError' | 'RangeError' | 'Error',
    readonly code: string,
    readonly value?: number | bigint,
  ) {
    super(`${kind} ${code}`);
  }
}
const typeErr = () => new OracleError('TypeError', 'ERR_INVALID_ARG_TYPE');
const rangeErr = (code = 'ERR_OUT_OF_RANGE') => new OracleError('RangeError', code);

type W = 1 | 2 | 4 | 8;

export class OracleRegion {
  readonly bytes: Uint8Array;
  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
  }

  private offset(off: unknown, w: number): number {
    if (typeof off !== 'number') throw typeErr();
    if (!Number.isInteger(off) || off < 0) throw rangeErr();
    if (off % w !== 0) throw rangeErr('ERR_UNALIGNED');
    if (off + w > this.size) throw rangeErr();
    return off;
  }

  /** A write's value as the unsigned bus value (bigint for all widths, here). */
  private value(v: unknown, w: W): bigint {
    if (w === 8) {
      if (typeof v === 'bigint') {
        if (v < -(1n << 63n) || v > U64) throw rangeErr();
        return BigInt.asUintN(64, v);
      }
      if (typeof v === 'number') {
        if (!Number.isSafeInteger(v)) throw rangeErr();
        return BigInt.asUintN(64, BigInt(v));
      }
      throw typeErr();
    }
    if (typeof v !== 'number') throw typeErr();
    const bits = w * 8;
    if (!Number.isInteger(v) || v < -(2 ** (bits - 1)) || v > 2 ** bits - 1) throw rangeErr();
    return BigInt.asUintN(bits, BigInt(v));
  }

  private load(off: number, w: number): bigint {
    let v = 0n;
    for (let i = w - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.bytes[off + i]);
    return v;
  }
  private store(off: number, w: number, v: bigint): void {
    for (let i = 0; i < w; i++) this.bytes[off + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  }
  private swap(v: bigint, w: number): bigint {
    let s = 0n;
    for (let i = 0; i < w; i++) s = (s << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
    return s;
  }
  private out(v: bigint, w: W): number | bigint {
    return w === 8 ? v : Number(v);
  }

  read(w: W, off: unknown, bigEndian = false): number | bigint {
    const o = this.offset(off, w);
    const v = this.load(o, w);
    return this.out(bigEndian ? this.swap(v, w) : v, w);
  }
  write(w: W, value: unknown, off: unknown, bigEndian = false): void {
    const o = this.offset(off, w);
    const v = this.value(value, w);
    this.store(o, w, bigEndian ? this.swap(v, w) : v);
  }

  private micros(t: unknown): void {
    if (typeof t !== 'number') throw typeErr();
    if (!(t >= 0 && t <= MAX_WAIT_US)) throw rangeErr();
  }

  /** An atomic poll: met on the first read, or (the memory being still) ETIMEDOUT with that value. */
  poll(w: W, off: unknown, cond: unknown, delayUs: unknown, timeoutUs: unknown): number | bigint {
    const o = this.offset(off, w);
    let test: (v: number | bigint) => boolean;
    if (typeof cond === 'function') {
      test = (v) => {
        const r = (cond as (x: unknown) => unknown)(v);
        if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
          throw new OracleError('TypeError', 'ERR_INVALID_RETURN_VALUE');
        }
        return Boolean(r);
      };
    } else if (cond !== null && typeof cond === 'object' && 'mask' in cond && 'value' in cond) {
      const mask = this.value((cond as { mask: unknown }).mask, w);
      const want = this.value((cond as { value: unknown }).value, w);
      test = (v) => (BigInt(v) & mask) === want;
    } else {
      throw typeErr();
    }
    this.micros(delayUs);
    this.micros(timeoutUs);
    const v = this.out(this.load(o, w), w);
    if (test(v)) return v;
    if (timeoutUs === 0) throw new Error('oracle: a poll that waits forever on still memory');
    throw new OracleError('Error', 'ETIMEDOUT', v);
  }

  private count(n: unknown, limit: number): number {
    if (typeof n !== 'number') throw typeErr();
    if (!Number.isInteger(n) || n < 0 || n > limit) throw rangeErr();
    return n;
  }

  memcpy_fromio(dst: unknown, off: unknown, n: unknown): void {
    if (!(dst instanceof Uint8Array)) throw typeErr();
    const c = this.count(n, dst.length);
    const o = this.blockOffset(off, c);
    dst.set(this.bytes.subarray(o, o + c));
  }
  memcpy_toio(off: unknown, src: unknown, n: unknown): void {
    if (!(src instanceof Uint8Array)) throw typeErr();
    const c = this.count(n, src.length);
    const o = this.blockOffset(off, c);
    this.bytes.set(src.subarray(0, c), o);
  }
  memset_io(off: unknown, byte: unknown, n: unknown): void {
    const b = Number(this.value(byte, 1));
    const c = this.count(n, Infinity);
    const o = this.blockOffset(off, c);
    this.bytes.fill(b, o, o + c);
  }
  private blockOffset(off: unknown, n: number): number {
    if (typeof off !== 'number') throw typeErr();
    if (!Number.isInteger(off) || off < 0 || off + n > this.size) throw rangeErr();
    return off;
  }

  readRep(w: 1 | 2 | 4, off: unknown, dst: unknown, n: unknown): void {
    const ctor = w === 1 ? Uint8Array : w === 2 ? Uint16Array : Uint32Array;
    if (!(dst instanceof ctor)) throw typeErr();
    const o = this.offset(off, w);
    const c = this.count(n, dst.length);
    for (let i = 0; i < c; i++) dst[i] = Number(this.load(o, w));
  }
  writeRep(w: 1 | 2 | 4, off: unknown, src: unknown, n: unknown): void {
    const ctor = w === 1 ? Uint8Array : w === 2 ? Uint16Array : Uint32Array;
    if (!(src instanceof ctor)) throw typeErr();
    const o = this.offset(off, w);
    const c = this.count(n, src.length);
    for (let i = 0; i < c; i++) this.store(o, w, BigInt(src[i]));
  }
}

/**
 * The oracle behind the IoRegion method names (readl, writeq_relaxed, ioread16be, readl_poll_timeout_atomic…),
 * so the differential's operations run on it unchanged. Errors are {@link OracleError}s.
 */
export function oracleIoRegion(o: OracleRegion): Record<string, (...args: never[]) => unknown> {
  const api: Record<string, (...args: unknown[]) => unknown> = {};
  const widths: [string, string, W][] = [['b', '8', 1], ['w', '16', 2], ['l', '32', 4], ['q', '64', 8]];
  for (const [letter, bits, w] of widths) {
    api[`read${letter}`] = api[`read${letter}_relaxed`] = api[`ioread${bits}`] = (off) => o.read(w, off);
    api[`write${letter}`] = api[`write${letter}_relaxed`] = api[`iowrite${bits}`] = (v, off) => o.write(w, v, off);
    api[`read${letter}_poll_timeout_atomic`] = (off, cond, d, t) => o.poll(w, off, cond, d, t);
    if (w !== 8) {
      api[`ioread${bits}_rep`] = (off, dst, n) => o.readRep(w as 1 | 2 | 4, off, dst, n);
      api[`iowrite${bits}_rep`] = (off, src, n) => o.writeRep(w as 1 | 2 | 4, off, src, n);
    }
  }
  api.ioread16be = (off) => o.read(2, off, true);
  api.ioread32be = (off) => o.read(4, off, true);
  api.iowrite16be = (v, off) => o.write(2, v, off, true);
  api.iowrite32be = (v, off) => o.write(4, v, off, true);
  api.memcpy_fromio = (dst, off, n) => o.memcpy_fromio(dst, off, n);
  api.memcpy_toio = (off, src, n) => o.memcpy_toio(off, src, n);
  api.memset_io = (off, b, n) => o.memset_io(off, b, n);
  return api as Record<string, (...args: never[]) => unknown>;
}
