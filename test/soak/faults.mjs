#!/usr/bin/env node
// Soak under faults: N mixed operations (default 100 000) on mapped files while another process truncates and
// regrows them, with sleeping polls and interrupt waits in flight. Asserts: no crash; every failed access is
// EFAULT (a bus fault: the region is then poisoned, unmapped and mapped again) or, for a poll, ETIMEDOUT; and
// at the end the open descriptors and the mappings (counted from /proc/self/fd and /proc/self/maps) are back
// where they started. A script, not a timed test:
//
//   node --expose-gc test/soak/faults.mjs [--ops N] [--uio]      (npm run soak:faults)
//
// --uio (the QEMU rig, as root): interrupt waits on /dev/uio0 in flight too (raised through the edu).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const lib = await import(new URL('../../dist/lib/index.js', import.meta.url).href);
const sim = await import(new URL('../../dist/lib/sim/index.js', import.meta.url).href);
const { values } = parseArgs({ options: { ops: { type: 'string', default: '100000' }, uio: { type: 'boolean', default: false } } });
const OPS = Number(values.ops);
const PAGE = lib.pageSize();
const SIZE = 4 * PAGE;

const fds = () => readdirSync('/proc/self/fd').length;
const fdList = () => readdirSync('/proc/self/fd').map((n) => { try { return `${n}:${readlinkSync(`/proc/self/fd/${n}`)}`; } catch { return n; } });
const work = mkdtempSync(join(tmpdir(), 'mmio-soak-faults-'));
const mappings = () => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes(work)).length;
const files = [0, 1].map((i) => join(work, `region${i}.bin`));
for (const f of files) writeFileSync(f, Buffer.alloc(SIZE));

const mapsBefore = mappings();

const regions = files.map((f) => lib.mapFile(f, 0, SIZE));

// The other process: truncate each file to a random length of 0..4 pages and back to 4, again and again.
const shaker = spawn(
  process.execPath,
  [
    '-e',
    `const { truncateSync } = require('node:fs'); const files = ${JSON.stringify(files)};
     const shake = () => { for (const f of files) { try { truncateSync(f, Math.floor(Math.random() * 4) * ${PAGE}); } catch {} }
       setTimeout(() => { for (const f of files) { try { truncateSync(f, ${SIZE}); } catch {} } setTimeout(shake, 1); }, 1); };
     shake(); process.stdout.write('ready\\n');`,
  ],
  { stdio: ['ignore', 'pipe', 'ignore'] },
);
await new Promise((res) => shaker.stdout.once('data', res));
// The baseline once the other process runs (Node keeps a /dev/null descriptor for good after a spawn).
const fdsBefore = fds();
const listBefore = fdList();

const counts = { ops: 0, succeeded: 0, efault: 0, remaps: 0, remapRefused: 0, pollUnmapped: 0, polls: 0, pollTimeouts: 0, waits: 0, waitTimeouts: 0, other: 0 };
const others = [];
const nap = new Int32Array(new SharedArrayBuffer(4));
/** Unmap the poisoned region and map the file again; while the file is short, mapFile refuses (ENXIO): retry. */
const remap = (i) => {
  regions[i].iounmap();
  for (;;) {
    try {
      regions[i] = lib.mapFile(files[i], 0, SIZE);
      break;
    } catch (e) {
      if (e.code !== 'ENXIO') throw e;
      counts.remapRefused++;
      Atomics.wait(nap, 0, 0, 1);
    }
  }
  counts.remaps++;
};

const irq = new sim.SimInterrupts({ name: 'soak' });
let uio;
let uioRegs;
if (values.uio) {
  uio = lib.openUio(lib.listUioDevices()[0].number);
  uioRegs = uio.map(0);
}

const inFlight = new Set();
const track = (p, onError) => {
  const q = p.then(
    () => {},
    (e) => onError(e),
  );
  inFlight.add(q);
  q.finally(() => inFlight.delete(q));
};

const rnd = (n) => Math.floor(Math.random() * n);
for (let k = 0; k < OPS; k++) {
  const i = rnd(2);
  const r = regions[i];
  const off = rnd(SIZE / 8) * 8;
  counts.ops++;
  try {
    switch (rnd(8)) {
      case 0: r.readl(off); break;
      case 1: r.writel(k >>> 0, off); break;
      case 2: r.readq(off); break;
      case 3: r.writeq(BigInt(k), off); break;
      case 4: r.memcpy_fromio(new Uint8Array(64), off & ~63, 64); break;
      case 5: r.memset_io(off & ~63, k & 0xff, 64); break;
      case 6: r.readl_poll_timeout_atomic(off, { mask: 0, value: 0 }, 0, 100); break;
      default: r.ioread32_rep(off, new Uint32Array(4), 4); break;
    }
    counts.succeeded++;
  } catch (e) {
    if (e.code === 'EFAULT') {
      counts.efault++;
      remap(i);
    } else {
      counts.other++;
      if (others.length < 5) others.push(`${e.code}: ${e.message}`);
    }
  }
  if (k % 50 === 0) {
    // A sleeping poll in flight over the shaken file: met, ETIMEDOUT, or EFAULT; nothing else.
    counts.polls++;
    const region = regions[rnd(2)];
    track(region.readl_poll_timeout(rnd(SIZE / 4) * 4, { mask: 1, value: 1 }, 100, 2000), (e) => {
      if (e.code === 'ETIMEDOUT') counts.pollTimeouts++;
      else if (e.code === 'EFAULT') counts.efault++;
      else if (e.code === 'ERR_IOMEM_UNMAPPED') counts.pollUnmapped++; // its region was remapped after a fault
      else {
        counts.other++;
        if (others.length < 5) others.push(`poll ${e.code}: ${e.message}`);
      }
    });
    // An interrupt wait in flight: raised now and then, else it times out.
    counts.waits++;
    const src = uio ? uio.irq : irq;
    if (!src.__busy) {
      src.__busy = true;
      if (rnd(2) === 0) {
        if (uio) {
          uio.irq.unmask();
          uioRegs.writel(1, 0x60);
        } else irq.raise();
      }
      track(
        src.wait({ timeoutMs: 2 }).then(() => {
          if (uio) {
            uioRegs.writel(uioRegs.readl(0x24), 0x64);
            uio.irq.unmask();
          } else irq.lower?.();
        }).finally(() => { src.__busy = false; }),
        (e) => {
          if (e.code === 'ETIMEDOUT') counts.waitTimeouts++;
          else {
            counts.other++;
            if (others.length < 5) others.push(`wait ${e.code}: ${e.message}`);
          }
        },
      );
    }
    await new Promise((res) => setImmediate(res));
  }
}
await Promise.all(inFlight);
for (const r of regions) r.iounmap();
irq.close();
uio?.close();
globalThis.gc?.();
await new Promise((res) => setTimeout(res, 100));
const fdsAfter = fds();
const mapsAfter = mappings();
const leaked = fdList().filter((f) => !listBefore.includes(f));
shaker.stdout.destroy();
const exited = new Promise((res) => shaker.once('exit', res));
shaker.kill();
await exited;
rmSync(work, { recursive: true, force: true });
const ok = counts.other === 0 && fdsAfter === fdsBefore && mapsAfter === mapsBefore;
console.log(JSON.stringify({ ...counts, fds: [fdsBefore, fdsAfter], leaked, mappings: [mapsBefore, mapsAfter], others, ok }));
process.exit(ok ? 0 : 1);
