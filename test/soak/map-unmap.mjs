#!/usr/bin/env node
// Leak soak: map/unmap cycles over every backend available here; asserts that the open-descriptor count and the
// mappings return to where they started, and that the memory in use stays flat. A script, not a timed test:
//
//   node --expose-gc test/soak/map-unmap.mjs [--cycles N] [--backends file,sim,...] [--limit-mib M]
//   npm run soak                     (100 000 cycles per backend)
//
// Backends: file (a regular file on disk), shm (a /dev/shm file), sim (the simulated edu), devm (claim + map +
// unmap over a file, releasing the claim), worker-free; and where the hardware is there (the QEMU rig, as root):
// uio (map/unmap of /dev/uioN map0), uio-open (openUio + map + close: the interrupt descriptor too),
// resource (PCI resource0), devmem (ioremap of the edu BAR through /dev/mem).
// Exit status 0 when every check holds, 1 otherwise; one line per backend and a JSON summary on the last line.
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const lib = await import(new URL('../../dist/lib/index.js', import.meta.url).href);
const { mapFile, devm_ioremap_resource, openUio, openPci, ioremap, listPciDevices, listUioDevices, pageSize } = lib;

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '100000' },
    backends: { type: 'string' },
    'limit-mib': { type: 'string', default: '16' },
  },
});
const CYCLES = Number(values.cycles);
const LIMIT = Number(values['limit-mib']) * 1024 * 1024;
const gc = globalThis.gc ?? (() => {});
if (!globalThis.gc) console.error('soak: run node with --expose-gc for steadier memory figures');

// A driver runs in an event loop, and Node runs N-API finalizers (the ones that free a mapping's native side
// after iounmap) from the loop: a loop that never yields piles them up (about 1 KB per mapping) until it does.
const YIELD_EVERY = 100;
const turn = () => new Promise((resolve) => setImmediate(resolve));

const fds = () => readdirSync('/proc/self/fd').length;
/**
 * The memory in use, in bytes: RSS minus the part of V8's heap that is reserved but free (heapTotal - heapUsed).
 * A fast loop makes V8 grow its young generation up to its limit (+16-32 MiB of RSS, then flat) without holding
 * one more object; counted as growth, that failed long soaks at full speed although every object, descriptor and
 * mapping came back. A leak of JS objects still shows (heapUsed), and so does native memory (RSS outside V8's heap).
 */
const inUse = () => {
  gc();
  const m = process.memoryUsage();
  return m.rss - (m.heapTotal - m.heapUsed);
};
/** Mappings of device files, sysfs files and the soak's own files. */
const mappings = () =>
  readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => /(\/dev\/(uio|mem|shm)|\/sys\/|mmio-soak-)/.test(l)).length;

const work = mkdtempSync(join(tmpdir(), 'mmio-soak-'));
const diskFile = join(work, 'region.bin');
writeFileSync(diskFile, Buffer.alloc(4 * pageSize()));
const shmDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/mmio-soak-') : undefined;
const shmFile = shmDir && join(shmDir, 'region.bin');
if (shmFile) writeFileSync(shmFile, Buffer.alloc(4 * pageSize()));
process.env.MMIO_LOCK_DIR ??= join(work, 'locks');

const edu = listPciDevices().find((d) => d.vendor === 0x1234 && d.device === 0x11e8 && d.driver === 'uio_pci_generic');
const eduUio = edu && listUioDevices().find((u) => u.pciAddress === edu.bdf);
const root = process.getuid?.() === 0;

/**
 * Each backend: a factory, called after the starting counts are taken, that returns one cycle (map, touch with a
 * write and a read, unmap) and optionally a `close` run before the final counts.
 */
const backends = {
  file: () => () => {
    const r = mapFile(diskFile, 0, 4096);
    r.writel(r.readl(0) + 1, 0);
    r.iounmap();
  },
  shm: shmFile && (() => () => {
    const r = mapFile(shmFile, pageSize() + 8, 64); // not page-aligned: the sub-page path
    r.writeq(r.readq(0) + 1n, 0);
    r.iounmap();
  }),
  sim: () => () => {
    const { regs } = lib.createSimEdu();
    regs.writel(regs.readl(4) ^ 0xffffffff, 4);
    regs.iounmap();
  },
  devm: () => () => {
    const r = devm_ioremap_resource({ start: 0x1000, size: 4096, name: 'soak' }, { path: diskFile });
    r.writel(1, 0);
    r.iounmap(); // releases the claim
  },
  // One open device, its map0 mapped and unmapped over and over (as a driver that remaps after a fault would).
  uio: eduUio && root && (() => {
    const dev = openUio(eduUio.number);
    return Object.assign(() => {
      const r = dev.map(0);
      if (r.readl(0) !== 0x010000ed) throw new Error('edu ID read wrong through UIO');
      r.iounmap();
    }, { close: () => dev.close() });
  }),
  // The whole device each time: /dev/uioN's interrupt descriptor, sysfs, the mapping.
  'uio-open': eduUio && root && (() => () => {
    const dev = openUio(eduUio.number);
    const r = dev.map(0);
    r.writel(0x55, 4);
    dev.close();
  }),
  resource: edu && root && (() => () => {
    const pci = openPci(edu.bdf);
    const r = pci.map(0, { size: 4096 });
    if (r.readl(0) !== 0x010000ed) throw new Error('edu ID read wrong through resource0');
    pci.close();
  }),
  devmem: edu && root && existsSync('/dev/mem') && (() => () => {
    const r = ioremap(edu.bars[0].start, 4096);
    if (r.readl(0) !== 0x010000ed) throw new Error('edu ID read wrong through /dev/mem');
    r.iounmap();
  }),
};

const wanted = values.backends ? values.backends.split(',') : Object.keys(backends);
// (Printed before any count is taken: Node's first write to a piped stdout opens a descriptor of its own.)
console.log(`soak: ${CYCLES} map/unmap cycles per backend (${wanted.filter((n) => backends[n]).join(', ')}); node ${process.version}`);
const results = [];
let failed = false;
for (const name of wanted) {
  const factory = backends[name];
  if (!factory) {
    if (values.backends) {
      console.log(`${name}: not available here`);
      failed = true;
    }
    continue;
  }
  // Memory settles (V8 heap, malloc arenas) over the first 10 000 cycles or so: measure growth after that.
  const warm = Math.max(1, Math.floor(CYCLES / 5), Math.min(10_000, Math.floor(CYCLES / 2)));
  const fd0 = fds();
  const maps0 = mappings();
  const cycle = factory();
  const t0 = performance.now();
  for (let i = 0; i < warm; i++) {
    cycle();
    if (i % YIELD_EVERY === 0) await turn();
  }
  await turn();
  const warmInUse = inUse();
  const samples = [];
  for (let i = warm; i < CYCLES; i++) {
    cycle();
    if (i % YIELD_EVERY === 0) await turn();
    if ((i - warm) % Math.max(1, Math.floor((CYCLES - warm) / 8)) === 0) samples.push(inUse());
  }
  await turn();
  cycle.close?.();
  const seconds = (performance.now() - t0) / 1000;
  // A leak stays; a transient peak (a heap growing just before a collection) does not. The end figure is the
  // lowest of a few readings, each after a collection and a loop turn (finalizers run on the loop).
  const ends = [];
  for (let k = 0; k < 3; k++) {
    await turn();
    ends.push(inUse());
  }
  const endInUse = Math.min(...ends);
  const fd1 = fds();
  const maps1 = mappings();
  const growth = endInUse - warmInUse;
  const ok = fd1 === fd0 && maps1 === maps0 && growth < LIMIT;
  failed ||= !ok;
  const mib = (b) => (b / 1048576).toFixed(1);
  const line = {
    backend: name,
    cycles: CYCLES,
    seconds: Number(seconds.toFixed(2)),
    usPerCycle: Number(((seconds * 1e6) / CYCLES).toFixed(1)),
    fds: [fd0, fd1],
    mappings: [maps0, maps1],
    inUseMiB: { afterWarmup: Number(mib(warmInUse)), end: Number(mib(endInUse)), growth: Number(mib(growth)), samples: samples.map((s) => Number(mib(s))) },
    ok,
  };
  results.push(line);
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${name.padEnd(9)} ${CYCLES} cycles in ${line.seconds} s (${line.usPerCycle} us each); ` +
      `fds ${fd0} -> ${fd1}; mappings ${maps0} -> ${maps1}; in use ${mib(warmInUse)} -> ${mib(endInUse)} MiB (growth ${mib(growth)}, limit ${mib(LIMIT)})`,
  );
}

// After all those cycles the bus-fault guard still has free slots: a fault is still an error, not a crash.
{
  const page = pageSize();
  writeFileSync(diskFile, Buffer.alloc(2 * page));
  const r = mapFile(diskFile, 0, 2 * page);
  truncateSync(diskFile, page);
  let code;
  try {
    r.readl(page);
  } catch (e) {
    code = e.code;
  }
  r.iounmap();
  const guarded = code === 'EFAULT';
  failed ||= !guarded;
  console.log(`${guarded ? 'ok  ' : 'FAIL'} a bus fault after the soak is still an EFAULT error (got ${code})`);
}

rmSync(work, { recursive: true, force: true });
if (shmDir) rmSync(shmDir, { recursive: true, force: true });
console.log(JSON.stringify({ ok: !failed, results }));
process.exitCode = failed ? 1 : 0;
