// One child of the hostile battery (test/hostile/battery.ts): runs the cases of one batch, each on a fresh
// context, and prints one JSON line per case as it finishes: { id, text }. A case that never settles is
// reported as a hang after its own timeout; one that blocks the thread (or crashes it) is found by the parent.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const m = await import(pathToFileURL(join(input.built, 'lib/index.js')).href);
const s = await import(pathToFileURL(join(input.built, 'lib/sim/index.js')).href);
const AsyncFunction = (async () => {}).constructor;
const SIZE = 4096;
const dir = mkdtempSync(join(tmpdir(), 'mmio-hostile-'));
const patternByte = (i) => (i * 37 + 11) & 0xff;

function pattern() {
  const b = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) b[i] = patternByte(i);
  return b;
}

/** The case's `r`: a fresh region holding the pattern, on the backend the case names. */
function makeRegion(setup) {
  if (setup === 'file') {
    const path = join(dir, 'region.bin');
    writeFileSync(path, pattern());
    return m.mapFile(path, 0, SIZE);
  }
  if (setup === 'sim') return new s.SimRegion(new s.RegisterModel({ buffer: pattern() }), { name: 'hostile' });
  if (setup === 'simirq') return new s.SimInterrupts({ name: 'hostile' });
  if (setup === 'edu') return s.createSimEdu();
  if (setup === 'uio' || setup === 'uioirq') {
    const dev = m.openUio(m.listUioDevices()[0].number);
    if (setup === 'uioirq') return dev;
    const regs = dev.map(0);
    return wrapUio(regs, dev);
  }
  return undefined;
}

/** The UIO map with the device closed after the case (iounmap of a UIO map leaves the device open). */
function wrapUio(regs, dev) {
  closers.push(() => dev.close());
  return regs;
}
const closers = [];

function show(v) {
  if (typeof v === 'bigint') return `0x${v.toString(16)}n`;
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? `0x${v.toString(16)}` : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  return 'object';
}

// Every error of bad input carries a non-empty `code` and `hint` (issue 15): one without either shows it in the
// outcome text (`NO_CODE`, `NO_HINT`), so the case comes out wrong.
function showError(e) {
  if (!(e instanceof Error)) return `throws non-Error ${show(e)}`;
  const code = typeof e.code === 'string' && e.code.length > 0 ? e.code : 'NO_CODE';
  const hint = typeof e.hint === 'string' && e.hint.trim().length > 0 ? '' : ' NO_HINT';
  return `throws ${code} ${e.name === 'AbortError' ? 'AbortError' : e.constructor.name}${hint}`;
}

const ctx = { dir, SIZE, patternByte, built: input.built, root: input.root };
for (const c of input.cases) {
  const r = makeRegion(c.setup);
  let text;
  let timer;
  try {
    const fn = new AsyncFunction('r', 'm', 's', 'ctx', c.code);
    const hang = new Promise((resolve) => {
      timer = setTimeout(() => resolve({ hang: true }), c.timeoutMs ?? 3000);
    });
    const out = await Promise.race([fn(r, m, s, ctx).then((v) => ({ v })), hang]);
    text = out.hang ? 'hang' : `value ${show(out.v)}`;
  } catch (e) {
    text = showError(e);
  } finally {
    clearTimeout(timer);
    try {
      if (r?.iounmap) r.iounmap();
      else r?.close?.();
      while (closers.length > 0) closers.pop()();
    } catch {
      // a case may have closed it already
    }
  }
  process.stdout.write(`${JSON.stringify({ id: c.id, text })}\n`);
}
rmSync(dir, { recursive: true, force: true });
