/**
 * The guest half of `npm run bench:vfio` (run by bench/vfio/run.ts inside `test/vm/run.sh --iommu --nvme`, where
 * the last edu and the NVMe controller are bound to vfio-pci):
 *
 *   node dist/bench/vfio/guest.js --c-binary PATH --nvme-binary PATH [--rounds N] [--iterations N] [--warm-up N]
 *
 * 1. VFIO_IOMMU_MAP_DMA and UNMAP_DMA of 4 KiB .. 16 MiB, against the baseline of the same run: allocating and
 *    freeing the same memory without the IOMMU (mmap + MAP_POPULATE + munmap, what dma_alloc_coherent does
 *    before it maps).
 * 2. Interrupt wake-up: from just before the raise write to edu's 0x60 to the awaiting JS code (VfioInterrupts.wait
 *    on the eventfd), against the C program vfio-irq-latency.c blocked in read() on the same kind of eventfd, for
 *    INTx and MSI; MSI-X on QEMU's NVMe (edu has none) fired from the kernel side (SET_IRQS DATA_NONE|TRIGGER,
 *    VfioInterrupts.trigger()), and MSI-X vector 0 signalled by real completions of a Get Features on an admin
 *    queue pair (from the SQ0 doorbell write; C: nvme-irq-latency.c); and INTx and MSI from edu's factorial thread
 *    ("intx-fact", "msi-fact": 12 written to 0x08, the interrupt raised by QEMU's thread after the write returned,
 *    so both sides usually sleep first). Four JS rows each: "JS" as shipped, raise then wait (a wait whose eventfd has already fired resolves
 *    without a turn of the event loop), "JS loop" with the fast paths off (addon irqSetTryRead(false): every
 *    wake-up through libuv's epoll_wait, as before they existed), "JS pending": wait(), raise, await (the wait's
 *    second read, after the caller's synchronous code, may find it; else the event loop), and "JS busy": the same
 *    with busyPollUs 200. Rows alternate (their order rotates each round), so they share the emulation's drift.
 * 3. One edu DMA round trip of 4000 bytes through dma_alloc_coherent buffers (dominated by edu's 100 ms timer).
 * Emulation figures (QEMU TCG), not hardware. Prints a text table on stdout.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { dma_alloc_coherent, dma_set_mask, DMA_BIT_MASK, listPciDevices, openVfio, pci_set_master, vfioContainer, type InterruptEvent } from '../../lib/index.js';
import { addon } from '../../lib/linux/addon.js';
import { eduDmaRoundTrip } from '../../examples/edu/driver.js';
import {
  cqHeadDoorbell,
  decodeCompletion,
  doorbellStride,
  encodeCommand,
  NVME_CQE_BYTES,
  NVME_REGMAP,
  NVME_SQE_BYTES,
  NvmeAdminOpcode,
  NvmeFeature,
  sqTailDoorbell,
} from '../../examples/nvme/index.js';
import { summarize } from '../stats.js';

const { values: opts } = parseArgs({
  options: {
    'c-binary': { type: 'string' },
    'nvme-binary': { type: 'string' },
    rounds: { type: 'string', default: '5' },
    iterations: { type: 'string', default: '200' },
    'warm-up': { type: 'string', default: '100' },
  },
});
const ROUNDS = Number(opts.rounds);
const ITER = Number(opts.iterations);
const WARM = Number(opts['warm-up']);
const RAISE = 0x0001_0000;
const us = (ns: number): string => (ns / 1000).toFixed(1);
const log = (m: string): void => void process.stderr.write(`${m}\n`);

const edu = listPciDevices().find((d) => d.vendor === 0x1234 && d.device === 0x11e8 && d.driver === 'vfio-pci');
if (edu === undefined) throw new Error('no edu bound to vfio-pci: run inside test/vm/run.sh --iommu');
const group = Number(process.env.MMIO_VM_VFIO_GROUP);
const nvme = process.env.MMIO_VM_NVME_VFIO?.split(' ')[0];
if (nvme === undefined || nvme === '') throw new Error('no NVMe controller on vfio-pci: run inside test/vm/run.sh --iommu --nvme');
const nvmeGroup = Number(basename(readlinkSync(`/sys/bus/pci/devices/${nvme}/iommu_group`)));
type Mode = 'intx' | 'msi' | 'msix' | 'nvme' | 'intx-fact' | 'msi-fact';
/** The busy poll of the "JS busy" rows, µs: longer than the slowest C median here (the NVMe completion, ~30 µs). */
const BUSY_POLL_US = 200;

function mapDmaCosts(): string[] {
  const lines = ['MAP_DMA / UNMAP_DMA (median of 30, µs; baseline: mmap + populate + munmap of the same size)', 'size      baseline  MAP_DMA  ratio  UNMAP_DMA  ratio'];
  const dev = openVfio(edu!.bdf);
  try {
    const native = addon();
    const c = vfioContainer();
    for (const size of [4096, 65536, 2 << 20, 16 << 20]) {
      const base: number[] = [];
      const map: number[] = [];
      const unmap: number[] = [];
      for (let i = 0; i < 30; i++) {
        let t = process.hrtime.bigint();
        const r = native.dmaAlloc(size);
        native.unmap(r.handle);
        base.push(Number(process.hrtime.bigint() - t));
        const m = native.dmaAlloc(size);
        t = process.hrtime.bigint();
        c.mapDma(m.handle, 0x1000_0000n, 3);
        const t1 = process.hrtime.bigint();
        c.unmapDma(0x1000_0000n, BigInt(m.buffer.byteLength));
        const t2 = process.hrtime.bigint();
        native.unmap(m.handle);
        map.push(Number(t1 - t));
        unmap.push(Number(t2 - t1));
      }
      const b = summarize(base).median;
      const mm = summarize(map).median;
      const um = summarize(unmap).median;
      lines.push(`${(size >= 1 << 20 ? `${size >> 20} MiB` : `${size >> 10} KiB`).padEnd(9)} ${us(b).padStart(8)} ${us(mm).padStart(8)} ${(mm / b).toFixed(2).padStart(6)} ${us(um).padStart(10)} ${(um / b).toFixed(2).padStart(6)}`);
    }
  } finally {
    dev.close();
  }
  return lines;
}

function cLatencies(mode: Mode): number[] {
  const args = mode === 'msix' ? [String(nvmeGroup), nvme!, 'msix-trigger'] : [String(group), edu!.bdf, mode];
  const r =
    mode === 'nvme'
      ? spawnSync(opts['nvme-binary']!, [String(nvmeGroup), nvme!, String(ITER), String(WARM)], { encoding: 'utf8', timeout: 120_000 })
      : spawnSync(opts['c-binary']!, [...args, String(ITER), String(WARM), String(RAISE)], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`the C program failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim().split('\n').map(Number);
}

/** MSI-X vector 0 of the NVMe controller, fired from the kernel side each time. */
async function jsTriggerLatencies(pending: WaitOptions | undefined): Promise<number[]> {
  const dev = openVfio(nvme!);
  try {
    const [vector] = dev.enableIrqs('msix', 1);
    const out: number[] = [];
    for (let i = -WARM; i < ITER; i++) {
      const t0 = process.hrtime.bigint();
      let waiting: Promise<InterruptEvent> | undefined;
      if (pending) waiting = vector.wait(pending);
      vector.trigger();
      const event = await (waiting ?? vector.wait());
      const t1 = process.hrtime.bigint();
      if (event.missed !== 0) throw new Error(`${event.missed + 1} signals for one trigger`);
      if (i >= 0) out.push(Number(t1 - t0));
    }
    return out;
  } finally {
    dev.close();
  }
}

/**
 * MSI-X vector 0 of the NVMe controller signalled by real command completions: an admin queue pair in DMA memory,
 * a Get Features (Number of Queues) per iteration, timed from the SQ0 tail doorbell write to the awaited wait (as
 * nvme-irq-latency.c does in C).
 */
async function jsNvmeLatencies(pending: WaitOptions | undefined): Promise<number[]> {
  const ENTRIES = 16;
  const dev = openVfio(nvme!);
  try {
    const bar = dev.map(0);
    pci_set_master(dev);
    dma_set_mask(dev, DMA_BIT_MASK(64));
    const [vector] = dev.enableIrqs('msix', 1);
    const sq = dma_alloc_coherent(dev, 4096);
    const cq = dma_alloc_coherent(dev, 4096);
    const R = (name: Parameters<typeof NVME_REGMAP.offset>[0]): number => NVME_REGMAP.offset(name);
    const ready = (r: number) => bar.readl_poll_timeout(R('CSTS'), (v) => (v & 1) === r, 100, 5_000_000);
    bar.writel(0, R('CC'));
    await ready(0);
    bar.writel(NVME_REGMAP.prep('AQA', { ASQS: ENTRIES - 1, ACQS: ENTRIES - 1 }), R('AQA'));
    bar.writeq(sq.dma_handle, R('ASQ'));
    bar.writeq(cq.dma_handle, R('ACQ'));
    bar.writel(NVME_REGMAP.prep('CC', { EN: 1, IOSQES: 6, IOCQES: 4 }), R('CC'));
    await ready(1);
    // Admin queue doorbells with CAP.DSTRD 0 (QEMU's), as nvme-irq-latency.c has them.
    const sqDoorbell = sqTailDoorbell(0, doorbellStride(0));
    const cqDoorbell = cqHeadDoorbell(0, doorbellStride(0));
    const sqView = new DataView(sq.cpu.buffer, sq.cpu.byteOffset, sq.size);
    const cqView = new DataView(cq.cpu.buffer, cq.cpu.byteOffset, cq.size);
    let tail = 0;
    let head = 0;
    let phase = 1;
    const out: number[] = [];
    for (let i = -WARM; i < ITER; i++) {
      const cid = i & 0xffff;
      encodeCommand(sqView, tail * NVME_SQE_BYTES, { opcode: NvmeAdminOpcode.GET_FEATURES, cid, cdw10: NvmeFeature.NUMBER_OF_QUEUES });
      tail = (tail + 1) % ENTRIES;
      const t0 = process.hrtime.bigint();
      let waiting: Promise<InterruptEvent> | undefined;
      if (pending) waiting = vector.wait(pending);
      bar.writel(tail, sqDoorbell);
      await (waiting ?? vector.wait());
      const t1 = process.hrtime.bigint();
      const c = decodeCompletion(cqView, head * NVME_CQE_BYTES);
      if (c.cid !== cid || c.phase !== phase || c.sc !== 0 || c.sct !== 0) {
        throw new Error(`completion for command 0x${cid.toString(16)} (phase ${phase}): ${JSON.stringify(c)}`);
      }
      head = (head + 1) % ENTRIES;
      if (head === 0) phase ^= 1;
      bar.writel(head, cqDoorbell);
      if (i >= 0) out.push(Number(t1 - t0));
    }
    bar.writel(0, R('CC'));
    return out;
  } finally {
    dev.close();
  }
}

/**
 * `JS`: raise, then wait (as shipped); `JS loop`: the same with the fast paths off; `JS pending`: wait, raise,
 * await; `JS busy`: the same with busyPollUs.
 */
type JsRow = 'JS' | 'JS loop' | 'JS pending' | 'JS busy';
/** A row's wait options when its wait starts before the raise; `undefined`: raise first. */
type WaitOptions = { busyPollUs?: number };

async function jsLatencies(mode: Mode, row: JsRow): Promise<number[]> {
  addon().irqSetTryRead(row !== 'JS loop');
  const pending = row === 'JS pending' ? {} : row === 'JS busy' ? { busyPollUs: BUSY_POLL_US } : undefined;
  try {
    if (mode === 'nvme') return await jsNvmeLatencies(pending);
    return mode === 'msix' ? await jsTriggerLatencies(pending) : await jsEduLatencies(mode, pending);
  } finally {
    addon().irqSetTryRead(true);
  }
}

async function jsEduLatencies(mode: 'intx' | 'msi' | 'intx-fact' | 'msi-fact', pending: WaitOptions | undefined): Promise<number[]> {
  const fact = mode === 'intx-fact' || mode === 'msi-fact';
  const dev = openVfio(edu!.bdf);
  try {
    const bar = dev.map(0);
    pci_set_master(dev);
    const [irq] = dev.enableIrqs(mode === 'intx' || mode === 'intx-fact' ? 'intx' : 'msi');
    bar.writel(bar.readl(0x24), 0x64);
    if (fact) bar.writel(0x80, 0x20); // raise 0x1 when a factorial is done
    const out: number[] = [];
    for (let i = -WARM; i < ITER; i++) {
      const t0 = process.hrtime.bigint();
      let waiting: Promise<InterruptEvent> | undefined;
      if (pending) waiting = irq.wait(pending);
      if (fact) bar.writel(12, 0x08);
      else bar.writel(RAISE, 0x60);
      await (waiting ?? irq.wait());
      const t1 = process.hrtime.bigint();
      const status = bar.readl(0x24);
      bar.writel(status, 0x64);
      const expected = fact ? 0x1 : RAISE;
      if ((status & expected) !== expected) throw new Error(`interrupt status 0x${status.toString(16)} lacks 0x${expected.toString(16)}`);
      irq.unmask();
      if (i >= 0) out.push(Number(t1 - t0));
    }
    return out;
  } finally {
    dev.close();
  }
}

async function main(): Promise<void> {
  if (opts['c-binary'] === undefined || opts['nvme-binary'] === undefined) throw new Error('--c-binary and --nvme-binary are required (run.ts builds them on the host)');
  const out = mapDmaCosts();
  log('MAP_DMA done; interrupts…');
  const modes: Mode[] = ['intx', 'msi', 'msix', 'intx-fact', 'msi-fact', 'nvme'];
  const who = ['C', 'JS loop', 'JS', 'JS pending', 'JS busy'] as const;
  const rows: Record<string, number[]> = {};
  for (const m of modes) for (const w of who) rows[`${w} ${m}`] = [];
  const run = async (w: (typeof who)[number], m: Mode): Promise<void> => {
    const got = w === 'C' ? cLatencies(m) : await jsLatencies(m, w);
    rows[`${w} ${m}`].push(...got);
  };
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < modes.length; k++) {
      const m = modes[(k + r) % modes.length];
      for (let j = 0; j < who.length; j++) await run(who[(j + r) % who.length], m);
    }
    log(`round ${r + 1}/${ROUNDS}`);
  }
  out.push(
    '',
    `interrupt wake-up, raise write (msix: SET_IRQS trigger; nvme: SQ0 doorbell of a Get Features, MSI-X 0 on its completion; *-fact: edu factorial, the interrupt from QEMU's thread; JS busy: busyPollUs ${BUSY_POLL_US}) -> waiting code (µs; ${ROUNDS} rounds x ${ITER}, ${WARM} warm-up each)`,
    'row                  median     p99    min   ratio to C (median)',
  );
  for (const m of modes) {
    const c = summarize(rows[`C ${m}`]);
    for (const w of who) {
      const s = summarize(rows[`${w} ${m}`]);
      out.push(`${`${w} ${m}`.padEnd(20)} ${us(s.median).padStart(7)} ${us(s.p99).padStart(7)} ${us(s.min).padStart(6)}   ${(s.median / c.median).toFixed(2)}`);
    }
  }
  const dev = openVfio(edu!.bdf);
  try {
    const bar = dev.map(0);
    const data = Uint8Array.from({ length: 4000 }, (_, i) => i & 0xff);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = process.hrtime.bigint();
      const r = await eduDmaRoundTrip(bar, dev, data, { sleepUs: 200 });
      times.push(Number(process.hrtime.bigint() - t));
      if (!r.match) throw new Error('DMA round trip mismatch');
    }
    out.push('', `edu DMA round trip, 4000 bytes RAM -> edu -> RAM incl. alloc/map/free (median of 5): ${(summarize(times).median / 1e6).toFixed(1)} ms (edu waits 100 ms per transfer)`);
  } finally {
    dev.close();
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
