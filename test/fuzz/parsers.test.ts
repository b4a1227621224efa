/**
 * Property-based fuzzing (fast-check) of the surfaces that parse untrusted text or definitions: the CLI's
 * target and number grammar (cli/targets.ts), recordings (lib/observe/recording-format.ts parseRecording) and
 * register-map definitions (lib/regmap/map.ts defineRegisterMap). For any input: the parser returns or throws
 * its documented error (a UsageError / ERR_INVALID_RECORDING / a coded TypeError or RangeError), never anything
 * else, never hangs (each property is bounded); and what it accepts round-trips. MMIO_FUZZ_RUNS sets the runs
 * per property (default 2000; `npm run fuzz` runs 200 000).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError, parseNumber, parseTarget, parseValue, parseWidth } from '../../cli/targets.js';
import { formatRecording, parseRecording, type Recording } from '../../lib/observe/recording-format.js';
import { defineRegisterMap } from '../../lib/regmap/map.js';

const RUNS = Number(process.env.MMIO_FUZZ_RUNS ?? 2000);
/** A valid recording header (as test/fixtures/edu-demo.uio.jsonl starts). */
const HEADER = '{"format":"mmio-recording","version":1,"path":"/dev/uio0","phys":"0xfe900000","size":4096,"irq":"irq","started":"2026-11-22T04:29:18.635Z"}';

/** Text that looks like the grammar often enough to reach its corners. */
const grammarish = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^(sim:edu|uio0|uio:edu|file:\/tmp\/x|0x[0-9a-fA-F_]{0,20}|0b[01_]{0,70}|0o[0-7_]{0,25}|[0-9_]{0,22})([kKmMgG])?([+-](0x[0-9a-f]{0,18}|[0-9]{0,20})[kKmMgG]?)?$/),
  fc.constantFrom('', ' ', '+', '-', '0x', '0x_', '0b2', '1e3', '0x1g', '-0', '--1', '0x' + 'f'.repeat(40), '9'.repeat(400), 'sim:edu+', 'a:b:c', '\0', 'uio0:map99999999999999999999', '__proto__', 'constructor', 'toString', 'hasOwnProperty'),
);

function expectUsage(run: () => unknown): unknown {
  try {
    return run();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(UsageError);
    expect((e as UsageError).code).toBe('ERR_INVALID_ARG_VALUE');
    return undefined;
  }
}

describe('fuzz: CLI targets and numbers (cli/targets.ts)', () => {
  it('parseNumber / parseValue / parseWidth: a bigint or a UsageError, for any text', () => {
    fc.assert(
      fc.property(grammarish, fc.boolean(), (text, suffix) => {
        const n = expectUsage(() => parseNumber(text, 'n', { suffix }));
        if (n !== undefined) expect(typeof n === 'bigint' && n >= 0n).toBe(true);
        const v = expectUsage(() => parseValue(text));
        if (v !== undefined) expect(typeof v).toBe('bigint');
        const w = expectUsage(() => parseWidth(text));
        if (w !== undefined) expect([1, 2, 4, 8]).toContain(w);
      }),
      { numRuns: RUNS },
    );
  });

  it('parseNumber round-trips every non-negative bigint in hex, binary, octal and decimal, with _ separators', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 80n) - 1n }), fc.constantFrom(16, 2, 8, 10), fc.boolean(), (n, radix, sep) => {
        const prefix = { 16: '0x', 2: '0b', 8: '0o', 10: '' }[radix];
        let digits = n.toString(radix);
        if (sep && digits.length > 1) digits = `${digits[0]}_${digits.slice(1)}`;
        expect(parseNumber(prefix + digits, 'n')).toBe(n);
      }),
      { numRuns: RUNS },
    );
  });

  it('parseTarget: a target or a UsageError, for any text and options; offsets and lengths are non-negative', () => {
    fc.assert(
      fc.property(grammarish, fc.boolean(), fc.option(fc.constantFrom('/dev/mem', '/tmp/f', 'rel/x')), (text, region, path) => {
        const t = expectUsage(() => parseTarget(text, { region, path: path ?? undefined })) as { offset: bigint; length?: bigint } | undefined;
        if (t !== undefined) {
          expect(t.offset >= 0n).toBe(true);
          if (t.length !== undefined) expect(t.length >= 0n).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

const step = fc.oneof(
  fc.record({ op: fc.constantFrom('read', 'write'), width: fc.constantFrom(1, 2, 4, 8), offset: fc.nat({ max: 0xfff }), v: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), via: fc.constantFrom('readl', 'writel', 'readq', 'ioread32be') }),
  fc.record({ op: fc.constant('wait'), count: fc.nat({ max: 1000 }), missed: fc.nat({ max: 10 }) }),
  fc.record({ op: fc.constantFrom('unmask', 'mask') }),
);

describe('fuzz: recordings (parseRecording)', () => {
  it('any text: a Recording or ERR_INVALID_RECORDING with a line number, nothing else', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.json({ maxDepth: 2 }),
      fc.record({ op: fc.constantFrom('read', 'write', 'timeout', 'wait', 'unmask', 'mask', 'bogus'), width: fc.constantFrom<unknown>(1, 2, 4, 8, 3, '4', null), offset: fc.constantFrom<unknown>('0x0', '0x20', 5, -1, 'zz', null, 2 ** 60), value: fc.constantFrom<unknown>('0x1', '0xffffffffffffffffff', 1, 'x', null), t: fc.constantFrom<unknown>(0, 5, -1, 'x') }).map((o) => JSON.stringify(o)),
    );
    const header = fc.constantFrom('', HEADER, HEADER, HEADER.replace('"version":1', '"version":99'), HEADER.replace('4096', '-1'), '{"x":1}', 'not json');
    fc.assert(
      fc.property(header, fc.array(line, { maxLength: 8 }), (h, lines) => {
        const text = [h, ...lines].join('\n');
        try {
          const r = parseRecording(text, 'fuzz');
          expect(Array.isArray(r.steps)).toBe(true);
        } catch (e) {
          const err = e as { code?: string; line?: number };
          expect(err.code, String(e)).toBe('ERR_INVALID_RECORDING');
          expect(Number.isInteger(err.line) && (err.line as number) >= 1).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a recording parsed and formatted again reads back the same', () => {
    let roundTrips = 0;
    const base = parseRecording(`${HEADER}\n`, 'base');
    fc.assert(
      fc.property(fc.array(step, { maxLength: 10 }), (steps) => {
        const lines = steps.map((s) => {
          if (s.op === 'read' || s.op === 'write') {
            const v = BigInt.asUintN((s as { width: number }).width * 8, (s as { v: bigint }).v);
            return JSON.stringify({ op: s.op, width: s.width, offset: `0x${(s as { offset: number }).offset - ((s as { offset: number }).offset % (s as { width: number }).width)}`.replace(/^0x(\d+)$/, (_, d) => `0x${Number(d).toString(16)}`), value: `0x${v.toString(16)}`, t: 0 });
          }
          return JSON.stringify(s);
        });
        let first: Recording;
        try {
          first = parseRecording([formatRecording(base).trimEnd(), ...lines].join('\n'), 'fuzz');
        } catch (e) {
          expect((e as { code?: string }).code).toBe('ERR_INVALID_RECORDING');
          return;
        }
        const again = parseRecording(formatRecording(first), 'again');
        expect(again).toEqual(first);
        roundTrips++;
      }),
      { numRuns: RUNS },
    );
    expect(roundTrips, 'most generated recordings are valid: the property is not vacuous').toBeGreaterThan(RUNS / 2);
  });
});

describe('fuzz: register-map definitions (defineRegisterMap)', () => {
  const field = fc.record(
    {
      bits: fc.oneof(fc.nat({ max: 70 }), fc.tuple(fc.integer({ min: -2, max: 70 }), fc.integer({ min: -2, max: 70 })), fc.constantFrom<unknown>('3', null, 1.5)),
      access: fc.constantFrom<unknown>('rw', 'ro', 'wo', 'w1c', 'rc', 'xx', undefined),
    },
    { requiredKeys: ['bits'] },
  );
  const register = fc.record(
    {
      offset: fc.oneof(fc.nat({ max: 0x40 }), fc.constantFrom<unknown>(-4, 1.5, '0', 2 ** 53, null)),
      width: fc.constantFrom<unknown>(8, 16, 32, 64, 1, 2, 4, 12, '32', undefined),
      access: fc.constantFrom<unknown>('rw', 'ro', 'wo', 'bogus', undefined),
      reset: fc.constantFrom<unknown>(0, 1, -1, 0xffff_ffff, 2 ** 40, 1n, 1n << 70n, '0', undefined),
      fields: fc.option(fc.dictionary(fc.constantFrom('A', 'B', 'C', '', '1x', 'constructor'), field, { maxKeys: 3 }), { nil: undefined }),
    },
    { requiredKeys: ['offset'] },
  );
  const spec = fc.record({
    name: fc.constantFrom<unknown>('dev', '', 5, undefined),
    size: fc.constantFrom<unknown>(0x40, 0x1000, 0, -1, 1.5, '64', undefined),
    registers: fc.oneof(fc.dictionary(fc.constantFrom('R0', 'R1', 'R2', 'toString', '__proto__', ''), register, { maxKeys: 4 }), fc.constantFrom<unknown>(null, [], 'x')),
  });

  it('any definition: a map, or a TypeError/RangeError with a code; never another error', () => {
    let maps = 0;
    fc.assert(
      fc.property(spec, (s) => {
        try {
          const map = defineRegisterMap(s as never);
          for (const name of map.registerNames) {
            expect(Number.isInteger(map.offset(name))).toBe(true);
            expect([1, 2, 4, 8]).toContain(map.width(name));
          }
          maps++;
        } catch (e) {
          expect(e instanceof TypeError || e instanceof RangeError, String(e)).toBe(true);
          expect(typeof (e as { code?: unknown }).code, String(e)).toBe('string');
        }
      }),
      { numRuns: RUNS },
    );
    expect(maps, 'some generated definitions are valid maps').toBeGreaterThan(0);
  });
});
