/**
 * The example NVMe driver (examples/nvme) against the simulated controller: enable and Identify, reads and writes
 * through PRP1 only, PRP1 + PRP2, a PRP list and a chained PRP list, the data compared with the RAM namespace,
 * queue depth 32, out-of-order completions, MDTS splitting, both completion modes, and polling that leaves the
 * event loop running.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSimNvme, NvmeController, type NvmeCompletionMode, type SimNvme, type SimNvmeOptions } from '../../../examples/nvme/index.js';

const opened: { sim: SimNvme; c?: NvmeController }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.c?.close();
    o.sim.close();
  }
});

async function setup(mode: NvmeCompletionMode, simOptions: SimNvmeOptions = {}) {
  const sim = createSimNvme(simOptions);
  const entry: { sim: SimNvme; c?: NvmeController } = { sim };
  opened.push(entry);
  const c = await NvmeController.open(sim.device, { completion: mode });
  entry.c = c;
  return { sim, c };
}

/** Bytes that differ for every block and offset, so a block read from the wrong place is caught. */
function pattern(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + seed * 7 + (i >>> 9)) & 0xff;
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('enable and Identify', () => {
  it('resets and enables the controller: CC as the specification asks, CSTS.RDY = 1, bus mastering on', async () => {
    const { sim, c } = await setup('poll', { dstrd: 2 });
    const cc = sim.model.get(0x14) as number;
    expect(cc & 1).toBe(1); // EN
    expect((cc >>> 16) & 0xf).toBe(6); // IOSQES: 64-byte entries
    expect((cc >>> 20) & 0xf).toBe(4); // IOCQES: 16-byte entries
    expect((cc >>> 7) & 0xf).toBe(0); // MPS: 4 KiB
    expect((sim.model.get(0x1c) as number) & 1).toBe(1); // CSTS.RDY
    expect(sim.config.busMaster).toBe(true);
    expect(c.doorbellStride).toBe(16); // 4 << DSTRD 2: the doorbells the driver rings must be these
    expect(c.version).toEqual({ major: 1, minor: 4, tertiary: 0 });
    expect(c.capabilities).toMatchObject({ mqes: 2047, cqr: true, to: 1, mpsmin: 0, css: 1 });
    expect(sim.queuesNegotiated).toBe(true);
    expect(sim.model.get(0x0c)).toBe(0xffff_ffff); // INTMS: polling masks the pin-based interrupt
    expect(c.ioQueuesAllocated).toBe(8);
  });

  it('an enabled controller is disabled first (CC.EN = 0, CSTS.RDY = 0) before the admin queue is set up', async () => {
    const sim = createSimNvme();
    const entry: { sim: SimNvme; c?: NvmeController } = { sim };
    opened.push(entry);
    const first = await NvmeController.open(sim.device);
    // leave it enabled, as a crashed process would: unmap without close
    first.regs.iounmap();
    expect((sim.model.get(0x14) as number) & 1).toBe(1);
    const again = await NvmeController.open(sim.device); // without the disable, the new admin queue would never be taken
    entry.c = again;
    expect(await again.identifyController()).toMatchObject({ sn: 'SIMNVME0001' });
  });

  it('Identify Controller and Identify Namespace parse into typed objects', async () => {
    const { c } = await setup('poll', { blocks: 4096, blockSize: 4096, mdts: 7, serial: 'ABC123' });
    const id = await c.identifyController();
    expect(id).toMatchObject({ vid: 0x1b36, ssvid: 0x1af4, sn: 'ABC123', mn: 'mmio simulated NVMe', fr: '1.0', mdts: 7, nn: 1, ver: 0x10400, sqes: 0x66, cqes: 0x44 });
    expect(c.maxTransferBytes).toBe(128 * 4096);
    const ns = await c.identifyNamespace(1);
    expect(ns).toMatchObject({ nsid: 1, nsze: 4096n, ncap: 4096n, nuse: 4096n, nlbaf: 1, flbas: 1, lbaFormatIndex: 1, blockSize: 4096, metadataSize: 0 });
    expect(ns.lbaFormats).toEqual([
      { ms: 0, lbads: 9, rp: 0 },
      { ms: 0, lbads: 12, rp: 1 },
    ]);
  });
});

for (const mode of ['poll', 'interrupt'] as const) {
  describe(`I/O with completion by ${mode === 'poll' ? 'phase-tag polling' : 'MSI-X interrupt'}`, () => {
    it('reads and writes 1 block (PRP1 only), 2 pages (PRP2), 40 pages (a PRP list); the data is the namespace\'s', async () => {
      const { sim, c } = await setup(mode, { blocks: 8192 });
      const q = await c.createIoQueuePair();
      sim.namespace.set(pattern(512, 1), 7 * 512);
      expect(same(await q.read(1, 7n, 1), sim.namespace.subarray(7 * 512, 8 * 512))).toBe(true);

      for (const [blocks, lba, seed] of [
        [1, 100, 2],
        [16, 200, 3], // 8 KiB: PRP1 + PRP2
        [320, 1000, 4], // 160 KiB: over MDTS 5 (128 KiB): split, the pieces use PRP lists
        [256, 3000, 5], // 128 KiB = 32 pages: one command with a 31-entry PRP list
      ] as const) {
        const data = pattern(blocks * 512, seed);
        await q.write(1, BigInt(lba), data);
        expect(same(sim.namespace.subarray(lba * 512, (lba + blocks) * 512), data)).toBe(true);
        expect(same(await q.read(1, BigInt(lba), blocks), data)).toBe(true);
      }
      // untouched blocks around the writes stayed zero
      expect(sim.namespace.subarray(99 * 512, 100 * 512).every((b) => b === 0)).toBe(true);
      expect(sim.namespace.subarray(216 * 512, 217 * 512).every((b) => b === 0)).toBe(true);
      expect(sim.stats.transferErrors).toBe(0);
      if (mode === 'poll') {
        expect(q.stats.interrupts).toBe(0);
        expect(sim.stats.interrupts).toBe(0); // the CQ was created without IEN
        expect(q.stats.pollTurns).toBeGreaterThan(0);
      } else {
        expect(q.stats.interrupts).toBeGreaterThan(0);
        expect(q.stats.pollTurns).toBe(0);
        expect(sim.stats.interrupts).toBeGreaterThan(0);
      }
    });

    it('readInto fills a caller\'s buffer (at an offset into its ArrayBuffer) with the same bytes read returns', async () => {
      const { sim, c } = await setup(mode, { blocks: 512 });
      const q = await c.createIoQueuePair();
      sim.namespace.set(pattern(512 * 20, 11), 30 * 512);
      const backing = new Uint8Array(512 * 22);
      const view = backing.subarray(512, 512 * 21);
      await q.readInto(1, 30n, view);
      expect(same(view, sim.namespace.subarray(30 * 512, 50 * 512))).toBe(true);
      expect(backing.subarray(0, 512).every((b) => b === 0) && backing.subarray(512 * 21).every((b) => b === 0)).toBe(true);
      await expect(q.readInto(1, 0n, new Uint8Array(100))).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
      await expect(q.readInto(1, 0n, 'x' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    });

    it('a transfer whose PRP list crosses a list page (525 pages, one command: MDTS 10) arrives whole', async () => {
      const { sim, c } = await setup(mode, { blocks: 16384, mdts: 10 });
      const q = await c.createIoQueuePair();
      const blocks = 4200; // 2 100 KiB = 525 pages: PRP1 + 524 list entries > 512 per list page
      const data = pattern(blocks * 512, 9);
      const before = sim.stats.ioCommands;
      await q.write(1, 5n, data);
      expect(sim.stats.ioCommands - before).toBe(1);
      expect(same(sim.namespace.subarray(5 * 512, (5 + blocks) * 512), data)).toBe(true);
      const back = await q.read(1, 5n, blocks);
      expect(sim.stats.ioCommands - before).toBe(2);
      expect(same(back, data)).toBe(true);
    });

    it('queue depth 32: 32 reads outstanding at once, each gets its own block back, in order or not', async () => {
      for (const completionOrder of ['fifo', 'reverse'] as const) {
        const { sim, c } = await setup(mode, { blocks: 1024, completionOrder });
        const q = await c.createIoQueuePair({ entries: 64 });
        for (let b = 0; b < 64; b++) sim.namespace.set(pattern(512, 100 + b), b * 512);
        const lbas = Array.from({ length: 32 }, (_, i) => (i * 37) % 64);
        const reads = lbas.map((lba) => q.read(1, BigInt(lba), 1));
        const results = await Promise.all(reads);
        expect(sim.stats.maxQueued).toBe(32); // all 32 were in the submission queue together
        // the first command rings at once, the 31 issued with it share one doorbell write
        expect(sim.stats.ioSqDoorbells).toBe(2);
        results.forEach((r, i) => expect(same(r, pattern(512, 100 + lbas[i]))).toBe(true));
        expect(q.outstanding).toBe(0);
        expect(q.stats).toMatchObject({ submitted: 32, completed: 32, stray: 0, timedOut: 0 });
      }
    });

    it('more commands than entries - 1 wait for a free CID and all complete', async () => {
      const { sim, c } = await setup(mode, { blocks: 1024 });
      const q = await c.createIoQueuePair({ entries: 4 }); // 3 outstanding at most
      const writes = Array.from({ length: 20 }, (_, i) => q.write(1, BigInt(i), pattern(512, 200 + i)));
      await Promise.all(writes);
      expect(sim.stats.maxQueued).toBeLessThanOrEqual(3);
      for (let i = 0; i < 20; i++) expect(same(sim.namespace.subarray(i * 512, (i + 1) * 512), pattern(512, 200 + i))).toBe(true);
    });

    it('wraps the queues many times (phase tag inverted at each pass) with 4 KiB blocks', async () => {
      const { sim, c } = await setup(mode, { blocks: 64, blockSize: 4096 });
      const q = await c.createIoQueuePair({ entries: 8 });
      for (let i = 0; i < 50; i++) {
        const data = pattern(4096, i);
        await q.write(1, BigInt(i % 64), data);
        expect(same(await q.read(1, BigInt(i % 64), 1), data)).toBe(true);
      }
      expect(q.stats.completed).toBe(100); // 100 completions through an 8-entry CQ: 12 wraps
      await q.flush(1);
    });
  });
}

describe('polling leaves the event loop running', () => {
  it('timers and setImmediate callbacks run while a polled command is outstanding', async () => {
    const { c } = await setup('poll', { latency: 30 }); // the controller answers after 30 ms
    const q = await c.createIoQueuePair();
    let immediates = 0;
    let timerFired = false;
    const tick = (): void => {
      immediates++;
      if (immediates < 1e6) handle = setImmediate(tick);
    };
    let handle = setImmediate(tick);
    const timer = setTimeout(() => (timerFired = true), 5);
    const read = q.read(1, 0n, 1);
    await read;
    clearImmediate(handle);
    clearTimeout(timer);
    expect(timerFired).toBe(true); // a 5 ms timer fired during a 30 ms wait
    expect(immediates).toBeGreaterThan(10);
  });
});

describe('several queue pairs and MSI-X vectors', () => {
  it('each interrupt-driven pair has its own vector; pairs of both modes work side by side', async () => {
    const { sim, c } = await setup('interrupt', { blocks: 256 });
    const a = await c.createIoQueuePair({ completion: 'interrupt' });
    const b = await c.createIoQueuePair({ completion: 'poll' });
    const d = await c.createIoQueuePair({ completion: 'interrupt' });
    expect([a.qid, b.qid, d.qid]).toEqual([1, 2, 3]);
    expect(sim.ioQueues).toEqual({ sq: [1, 2, 3], cq: [1, 2, 3] });
    await Promise.all([a.write(1, 0n, pattern(512, 1)), b.write(1, 1n, pattern(512, 2)), d.write(1, 2n, pattern(512, 3))]);
    expect(same((await d.read(1, 0n, 3)).subarray(512, 1024), pattern(512, 2))).toBe(true);
    expect(a.stats.interrupts).toBeGreaterThan(0);
    expect(b.stats.interrupts).toBe(0);
    expect(sim.vectors[1].count).toBeGreaterThan(0); // pair a: vector 1
    expect(sim.vectors[2].count).toBeGreaterThan(0); // pair d: vector 2 (pair b is polled and took none)
    await b.close();
    expect(sim.ioQueues).toEqual({ sq: [1, 3], cq: [1, 3] });
    await expect(b.read(1, 0n, 1)).rejects.toMatchObject({ code: 'ERR_NVME_CLOSED' });
  });
});
