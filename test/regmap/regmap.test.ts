/**
 * Register maps at run time: definition checks, pure helpers, typed accessors (each one exactly the accesses a
 * hand-written driver makes, seen through traceRegion), access kinds, the generated simulated model, and the edu
 * map shared by the example driver and the simulated edu.
 */
import { describe, expect, it } from 'vitest';
import { BIT, GENMASK, GENMASK_ULL } from '../../lib/regmap/bits.js';
import { defineRegisterMap, EDU_REGMAP, type RegisterMapSpec } from '../../lib/regmap/index.js';
import { createRegisterModel, createSimEdu, RegisterModel, registerDefinitions, SimRegion } from '../../lib/sim/index.js';
import { formatTrace, traceRegion, withoutTime } from '../../lib/observe/trace.js';

const code = (c: string) => expect.objectContaining({ code: c });

const DEV = defineRegisterMap({
  name: 'dev',
  size: 0x40,
  registers: {
    CTRL: {
      offset: 0x00,
      reset: 0x0000_0001,
      fields: {
        EN: { bits: 0 },
        MODE: { bits: [6, 4], values: { IDLE: 0, TX: 1, RX: 2 } },
        GO: { bits: 8, access: 'wo' },
        PEND: { bits: 9, access: 'w1c' },
        VER: { bits: [31, 28], access: 'ro' },
      },
    },
    STAT: { offset: 0x04, access: 'ro', reset: 0x5, fields: { BUSY: { bits: 0 }, LEVEL: { bits: [3, 1] } } },
    INT: { offset: 0x08, access: 'w1c', fields: { RX: { bits: 0 }, TX: { bits: 1 } } },
    EVT: { offset: 0x0c, access: 'rc' },
    CMD: { offset: 0x10, access: 'wo', reset: 0x30, fields: { OP: { bits: [3, 0] }, ARG: { bits: [7, 4] } } },
    DATA8: { offset: 0x14, width: 1 },
    DATA16: { offset: 0x16, width: 2 },
    COUNTER: { offset: 0x18, width: 8, reset: 0x1_0000_0002n, fields: { LO: { bits: [31, 0] }, HI: { bits: [63, 32] } } },
    PLAIN: { offset: 0x20 },
  },
});

/** DEV's generated model behind a traced region. */
function device() {
  const model = createRegisterModel(DEV);
  const region = new SimRegion(model, { name: 'dev' });
  const traced = traceRegion(region);
  const regs = DEV.attach(traced);
  const accesses = () => withoutTime(traced.trace.splice(0));
  return { model, region, traced, regs, accesses };
}
const R = (offset: number, width: number, value: number | bigint) => ({ op: 'read', width, offset, value });
const W = (offset: number, width: number, value: number | bigint) => ({ op: 'write', width, offset, value });

describe('defineRegisterMap: the definition is checked once', () => {
  const bad = (spec: RegisterMapSpec) => () => defineRegisterMap(spec);

  it('rejects overlapping registers, unaligned offsets, bad widths and a size below the last register', () => {
    expect(bad({ registers: { A: { offset: 0 }, B: { offset: 2, width: 2 } } })).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(bad({ registers: { A: { offset: 0, width: 8 }, B: { offset: 4 } } })).toThrow(/B \(0x4\) overlaps A/);
    expect(bad({ registers: { A: { offset: 2 } } })).toThrow(code('ERR_UNALIGNED'));
    expect(bad({ registers: { A: { offset: -4 } } })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(bad({ registers: { A: { offset: 0, width: 3 as never } } })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(bad({ size: 4, registers: { A: { offset: 4 } } })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(bad({ registers: { A: { offset: '0' as never } } })).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(bad(null as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
  });

  it('rejects fields outside the width, overlapping, reversed, with values that do not fit', () => {
    expect(bad({ registers: { A: { offset: 0, fields: { F: { bits: 32 } } } } })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(bad({ registers: { A: { offset: 0, width: 1, fields: { F: { bits: [8, 0] } } } } })).toThrow(/outside the 8-bit register/);
    expect(bad({ registers: { A: { offset: 0, fields: { F: { bits: [3, 0] }, G: { bits: [5, 3] } } } } })).toThrow(/A\.G overlaps field F/);
    expect(bad({ registers: { A: { offset: 0, fields: { F: { bits: [0, 3] } } } } })).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(bad({ registers: { A: { offset: 0, fields: { F: { bits: [1, 0], values: { BIG: 4 } } } } } })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(bad({ registers: { A: { offset: 0, fields: { F: { bits: 'x' as never } } } } })).toThrow(code('ERR_INVALID_ARG_TYPE'));
  });

  it('rejects access kinds that are unknown or contradict the register', () => {
    expect(bad({ registers: { A: { offset: 0, access: 'rwx' as never } } })).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(bad({ registers: { A: { offset: 0, access: 'ro', fields: { F: { bits: 0, access: 'rw' } } } } })).toThrow(/contradicts its register's 'ro'/);
    expect(bad({ registers: { A: { offset: 0, access: 'wo', fields: { F: { bits: 0, access: 'ro' } } } } })).toThrow(code('ERR_INVALID_ARG_VALUE'));
  });

  it('rejects reset values that do not fit', () => {
    expect(bad({ registers: { A: { offset: 0, width: 2, reset: 0x10000 } } })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(bad({ registers: { A: { offset: 0, reset: -1 } } })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(bad({ registers: { A: { offset: 0, reset: 1n } } })).toThrow(code('ERR_INVALID_ARG_TYPE'));
  });
});

describe('pure helpers', () => {
  it('offsets, widths, resets, masks', () => {
    expect(DEV.offset('STAT')).toBe(4);
    expect(DEV.width('DATA16')).toBe(2);
    expect(DEV.reset('COUNTER')).toBe(0x1_0000_0002n);
    expect(DEV.mask('CTRL', 'MODE')).toBe(GENMASK(6, 4));
    expect(DEV.mask('CTRL', 'VER')).toBe(0xf000_0000);
    expect(DEV.mask('COUNTER', 'HI')).toBe(GENMASK_ULL(63, 32));
    expect(DEV.size).toBe(0x40);
    expect(DEV.registerNames).toEqual(['CTRL', 'STAT', 'INT', 'EVT', 'CMD', 'DATA8', 'DATA16', 'COUNTER', 'PLAIN']);
    expect(defineRegisterMap({ registers: { A: { offset: 8 } } }).size).toBe(12);
  });

  it('prep (FIELD_PREP of each, ORed), get, decode, valueName', () => {
    expect(DEV.prep('CTRL', { EN: 1, MODE: 'RX', GO: 1 })).toBe(0x121);
    expect(DEV.prep('CTRL', { MODE: 2 })).toBe(0x20);
    expect(DEV.prep('COUNTER', { HI: 3n, LO: 4 })).toBe(0x3_0000_0004n);
    expect(DEV.get('CTRL', 'MODE', 0x1234_5678)).toBe(7);
    expect(DEV.decode('CTRL', 0xa000_0311)).toEqual({ EN: 1, MODE: 1, GO: 1, PEND: 1, VER: 0xa });
    expect(DEV.decode('PLAIN', 5)).toEqual({});
    expect(DEV.valueName('CTRL', 'MODE', 1)).toBe('TX');
    expect(DEV.valueName('CTRL', 'MODE', 7)).toBeUndefined();
  });

  it('prep refuses values that do not fit, unknown fields and names', () => {
    expect(() => DEV.prep('CTRL', { MODE: 8 })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => DEV.prep('CTRL', { MODE: 'SEND' as never })).toThrow(/no value 'SEND' for field dev\.CTRL\.MODE \(its values: IDLE, TX, RX\)/);
    expect(() => DEV.prep('CTRL', { NOPE: 1 } as never)).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => DEV.prep('NOPE' as never, {})).toThrow(/no register 'NOPE' in register map dev/);
  });

  it('names registers by offset and width, for formatTrace; describes values', () => {
    expect(DEV.at(0x04)).toBe('STAT');
    expect(DEV.at(0x04, 2)).toBeUndefined();
    expect(DEV.at(0x05)).toBeUndefined();
    expect(DEV.describe('CTRL', 0x21)).toBe('CTRL = 0x00000021 { EN: 1, MODE: RX (2), GO: 0, PEND: 0, VER: 0 }');
    expect(DEV.describe('PLAIN', 7)).toBe('PLAIN = 0x00000007');
    const { regs, traced } = device();
    regs.read('STAT');
    expect(formatTrace(traced.trace, { names: DEV.traceNames })).toBe('R32 +0x004 = 0x00000005  STAT');
  });
});

describe('typed accessors: exactly the accesses hand-written code makes', () => {
  it('read and write use the register width', () => {
    const { regs, accesses } = device();
    regs.write('DATA8', 0xab);
    regs.write('DATA16', 0xbeef);
    regs.write('COUNTER', 5);
    regs.write('PLAIN', 0x1234);
    expect(regs.read('DATA8')).toBe(0xab);
    expect(regs.read('DATA16')).toBe(0xbeef);
    expect(regs.read('COUNTER')).toBe(5n);
    expect(regs.read('PLAIN')).toBe(0x1234);
    expect(accesses()).toEqual([W(0x14, 1, 0xab), W(0x16, 2, 0xbeef), W(0x18, 8, 5n), W(0x20, 4, 0x1234), R(0x14, 1, 0xab), R(0x16, 2, 0xbeef), R(0x18, 8, 5n), R(0x20, 4, 0x1234)]);
  });

  it('readField reads once; readFields reads once and leaves write-only fields out', () => {
    const { regs, accesses, model } = device();
    model.set('STAT', 0b1011);
    expect(regs.readField('STAT', 'LEVEL')).toBe(5);
    expect(regs.readFields('STAT')).toEqual({ BUSY: 1, LEVEL: 5 });
    expect(regs.readFields('CTRL')).toEqual({ EN: 1, MODE: 0, PEND: 0, VER: 0 });
    expect(regs.readField('COUNTER', 'HI')).toBe(1n);
    expect(accesses().map((a) => a.op)).toEqual(['read', 'read', 'read', 'read']);
  });

  it('writeFields writes once, without reading, other bits 0', () => {
    const { regs, accesses } = device();
    regs.writeFields('CTRL', { MODE: 'TX', GO: 1 });
    expect(accesses()).toEqual([W(0, 4, 0x110)]);
  });

  it('updateFields: one read and one write (regmap_update_bits), skipped when nothing changes unless forced', () => {
    const { regs, accesses, model } = device();
    model.set('PLAIN', 0);
    expect(regs.updateFields('CTRL', { MODE: 'RX' })).toBe(true);
    expect(accesses()).toEqual([R(0, 4, 0x1), W(0, 4, 0x21)]);
    expect(regs.updateFields('CTRL', { MODE: 'RX', EN: 1 })).toBe(false);
    expect(accesses()).toEqual([R(0, 4, 0x21)]);
    expect(regs.writeField('CTRL', 'MODE', 2, { force: true })).toBe(true);
    expect(accesses()).toEqual([R(0, 4, 0x21), W(0, 4, 0x21)]);
    expect(regs.updateBits('PLAIN', 0xff00, 0x1234)).toBe(true);
    expect(accesses()).toEqual([R(0x20, 4, 0), W(0x20, 4, 0x1200)]);
    expect(regs.updateBits('COUNTER', GENMASK_ULL(63, 32), 0x7_0000_0000n)).toBe(true);
    expect(regs.read('COUNTER')).toBe(0x7_0000_0002n);
  });

  it('a read-modify-write never writes back a pending w1c bit (it would clear it)', () => {
    const { regs, accesses, model } = device();
    model.set('CTRL', 0x201); // EN and PEND (w1c) set
    regs.writeField('CTRL', 'MODE', 1);
    expect(accesses()).toEqual([R(0, 4, 0x201), W(0, 4, 0x011)]);
    expect(model.get('CTRL')).toBe(0x211); // PEND still pending
    regs.writeField('CTRL', 'PEND', 1); // clearing it on purpose: written even though "unchanged"
    expect(accesses()).toEqual([R(0, 4, 0x211), W(0, 4, 0x211)]);
    expect(model.get('CTRL')).toBe(0x011);
    expect(regs.writeField('CTRL', 'PEND', 0)).toBe(false);
  });

  it('a w1c register is written without a read: only the fields given', () => {
    const { regs, accesses, model } = device();
    model.set('INT', 0b11);
    expect(regs.writeField('INT', 'RX', 1)).toBe(true);
    expect(accesses()).toEqual([W(8, 4, 0b01)]);
    expect(model.get('INT')).toBe(0b10);
    expect(regs.readFields('INT')).toEqual({ RX: 0, TX: 1 });
  });

  it('write-only registers: reads refused, read-modify-writes start from the last value written (or reset)', () => {
    const { regs, accesses, traced } = device();
    expect(() => (regs as { read(r: string): number }).read('CMD')).toThrow(code('ERR_REGMAP_ACCESS'));
    expect(() => (regs as { read(r: string): number }).read('CMD')).toThrow(/dev\.CMD is write-only/);
    regs.writeField('CMD', 'OP', 5);
    expect(accesses()).toEqual([W(0x10, 4, 0x35)]); // from the reset value 0x30
    regs.write('CMD', 0x12);
    regs.writeField('CMD', 'ARG', 7);
    expect(accesses()).toEqual([W(0x10, 4, 0x12), W(0x10, 4, 0x72)]);
    expect(DEV.attach(traced)).toBe(regs); // one accessor (and one cache) per region
  });

  it('read-only and read-to-clear registers and fields refuse writes; write-only fields refuse reads', () => {
    const { regs, model } = device();
    const loose = regs as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(() => loose.write('STAT', 0)).toThrow(code('ERR_REGMAP_ACCESS'));
    expect(() => loose.write('EVT', 0)).toThrow(/read-to-clear/);
    expect(() => loose.writeField('CTRL', 'VER', 1)).toThrow(/dev\.CTRL\.VER is read-only/);
    expect(() => loose.updateFields('CTRL', { VER: 1 })).toThrow(code('ERR_REGMAP_ACCESS'));
    expect(() => loose.readField('CTRL', 'GO')).toThrow(/write-only/);
    expect(() => loose.read('NOPE')).toThrow(code('ERR_INVALID_ARG_VALUE'));
    model.set('EVT', 0xff);
    expect(regs.read('EVT')).toBe(0xff);
    expect(regs.read('EVT')).toBe(0); // rc: cleared by the read
  });

  it('values are checked by FIELD_PREP and by the region', () => {
    const { regs } = device();
    expect(() => regs.writeField('CTRL', 'MODE', 8)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => regs.write('DATA8', 0x100)).toThrow(code('ERR_OUT_OF_RANGE')); // the region's own check
    expect(() => regs.updateBits('PLAIN', 1n as never, 1)).toThrow(code('ERR_INVALID_ARG_TYPE'));
  });

  it('field polls are the region poll with { mask, value } of the fields', async () => {
    const { regs, traced, model } = device();
    model.set('STAT', 0b1011);
    await expect(regs.fieldPollTimeout('STAT', { LEVEL: 5 }, 10, 1000)).resolves.toBe(0b1011);
    expect(regs.fieldPollTimeoutAtomic('STAT', { BUSY: 1, LEVEL: 5 }, 0, 1000)).toBe(0b1011);
    expect(traced.trace.map((e) => e.via)).toEqual(['readl_poll_timeout', 'readl_poll_timeout_atomic']);
    await expect(regs.fieldPollTimeout('STAT', { BUSY: 0 }, 100, 2000)).rejects.toMatchObject({ code: 'ETIMEDOUT', value: 0b1011 });
    await expect(regs.readPollTimeout('STAT', (v) => v === 0b1011, 10, 1000)).resolves.toBe(0b1011);
    expect(regs.readPollTimeoutAtomic('COUNTER', { mask: 0xffn, value: 2n }, 0, 1000)).toBe(0x1_0000_0002n);
    await expect(regs.fieldPollTimeout('STAT', {}, 10, 1000)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('the region errors come through unchanged', () => {
    const { regs, region } = device();
    region.iounmap();
    expect(() => regs.read('PLAIN')).toThrow(code('ERR_IOMEM_UNMAPPED'));
    const small = new SimRegion(new RegisterModel({ size: 0x10 }));
    expect(() => DEV.attach(small).read('PLAIN')).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => DEV.attach({} as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
  });
});

describe('createRegisterModel: the same layout as a simulated device', () => {
  it('reset values, read-only and reserved bits, w1c, rc', () => {
    const { regs, model, region } = device();
    expect(regs.read('CTRL')).toBe(1);
    expect(regs.read('STAT')).toBe(5);
    expect(regs.read('COUNTER')).toBe(0x1_0000_0002n);
    region.writel(0xffff_ffff, 0); // VER (ro) and bits 10..27 (reserved) keep their value; GO (wo) reads 0; PEND is w1c
    expect(region.readl(0)).toBe(0x0000_0071);
    model.set('CTRL', 0x200);
    region.writel(0x200, 0);
    expect(model.get('CTRL')).toBe(0);
    region.writel(0, 4);
    expect(region.readl(4)).toBe(5);
    model.reset();
    expect(region.readl(0)).toBe(1);
  });

  it('write-only registers read as writeOnlyReads (default 0) and keep what was written for hooks', () => {
    const seen: unknown[] = [];
    const model = createRegisterModel(DEV, {
      writeOnlyReads: (w) => (w === 4 ? 0xdead_beef : 0),
      hooks: { CMD: { onWrite: (v, ctx) => seen.push(v, ctx.value, ctx.previous) } },
    });
    const region = new SimRegion(model);
    expect(region.readl(0x10)).toBe(0xdead_beef);
    region.writel(0x1ff, 0x10);
    expect(seen).toEqual([0x1ff, 0xff, 0x30]); // reserved bits 8.. keep their reset value 0
    expect(new SimRegion(createRegisterModel(DEV)).readl(0x10)).toBe(0);
  });

  it('hooks are typed by register name, and checked at run time', () => {
    expect(() => createRegisterModel(DEV, { hooks: { NOPE: {} } as never })).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => createRegisterModel(DEV, { size: 8 })).toThrow(code('ERR_OUT_OF_RANGE'));
  });

  it('definitions carry the masks', () => {
    const defs = Object.fromEntries(registerDefinitions(DEV).map((d) => [d.name, d]));
    expect(defs.CTRL).toMatchObject({ offset: 0, width: 4, reset: 1, readOnlyMask: 0xffff_fc8e, // VER (ro) + reserved bits 1..3, 7, 10..27
      w1cMask: 0x200, rcMask: 0 });
    expect(defs.STAT).toMatchObject({ readOnlyMask: 0xffff_ffff });
    expect(defs.INT).toMatchObject({ w1cMask: 0b11, readOnlyMask: 0xffff_fffc });
    expect(defs.EVT).toMatchObject({ readOnlyMask: 0xffff_ffff, rcMask: 0xffff_ffff });
    expect(defs.COUNTER).toMatchObject({ reset: 0x1_0000_0002n, readOnlyMask: 0n });
  });
});

describe('the edu map: one layout for the driver and the simulated edu', () => {
  it('matches QEMU docs/specs/edu.rst', () => {
    expect(EDU_REGMAP.registerNames.map((n) => [n, EDU_REGMAP.offset(n)])).toEqual([
      ['ID', 0x00],
      ['LIVENESS', 0x04],
      ['FACTORIAL', 0x08],
      ['STATUS', 0x20],
      ['IRQ_STATUS', 0x24],
      ['IRQ_RAISE', 0x60],
      ['IRQ_ACK', 0x64],
    ]);
    expect(EDU_REGMAP.reset('ID')).toBe(0x0100_00ed);
    expect(EDU_REGMAP.mask('STATUS', 'COMPUTING')).toBe(BIT(0));
    expect(EDU_REGMAP.mask('STATUS', 'IRQ_FACTORIAL')).toBe(BIT(7));
    expect(EDU_REGMAP.decode('ID', 0x0100_00ed)).toEqual({ MAGIC: 0xed, MINOR: 0, MAJOR: 1 });
  });

  it('the simulated edu is generated from it, with the masks the hand-written model had', () => {
    const edu = createSimEdu();
    try {
      const def = (name: string) => edu.model.definition(name);
      expect(def('ID')).toMatchObject({ offset: 0, width: 4, reset: 0x0100_00ed, readOnlyMask: 0xffff_ffff });
      expect(def('STATUS')).toMatchObject({ offset: 0x20, readOnlyMask: 0xffff_ff7f, w1cMask: 0, rcMask: 0 });
      expect(def('IRQ_STATUS')).toMatchObject({ offset: 0x24, readOnlyMask: 0xffff_ffff });
      expect(def('LIVENESS')).toMatchObject({ offset: 0x04, readOnlyMask: 0 });
      expect(edu.regs.readl(0x60)).toBe(0xffff_ffff); // write-only: all ones, as QEMU's edu
      for (const name of EDU_REGMAP.registerNames) expect(edu.model.definition(name)?.offset).toBe(EDU_REGMAP.offset(name));
    } finally {
      edu.close();
    }
  });
});
