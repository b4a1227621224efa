/**
 * The example NVMe driver's failures against the simulated controller: the specification's status names, a
 * controller fatal status, timeouts that reject (and a late completion that frees its slot), bus mastering
 * turned off under the driver, hostile arguments (typed errors with a code; nothing reaches the controller), and
 * close() releasing everything whatever state the controller is in.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pci_clear_master } from '../../../lib/index.js';
import { createSimNvme, NvmeController, NvmeStatusError, type NvmeOpenOptions, type SimNvme, type SimNvmeOptions } from '../../../examples/nvme/index.js';

const opened: { sim: SimNvme; c?: NvmeController }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.c?.close();
    o.sim.close();
  }
});

async function setup(simOptions: SimNvmeOptions = {}, open: NvmeOpenOptions = {}) {
  const sim = createSimNvme(simOptions);
  const entry: { sim: SimNvme; c?: NvmeController } = { sim };
  opened.push(entry);
  const c = await NvmeController.open(sim.device, open);
  entry.c = c;
  const q = await c.createIoQueuePair();
  await c.identifyNamespace(1);
  return { sim, c, q };
}

describe('status decoding', () => {
  it('LBA out of range: NvmeStatusError with the specification\'s name, SCT 0 / SC 0x80, and nothing written', async () => {
    const { sim, q } = await setup({ blocks: 100 });
    const err = await q.write(1, 99n, new Uint8Array(1024).fill(0xaa)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NvmeStatusError);
    expect(err).toMatchObject({ code: 'ERR_NVME_STATUS', name: 'LBA Out of Range', sct: 0, sc: 0x80, command: 'Write', sqid: 1, dnr: true });
    expect((err as Error).message).toMatch(/Write \(nsid 1, lba 99, 2 blocks\) failed: LBA Out of Range \[SCT 0x0, SC 0x80, DNR\]/);
    expect((err as NvmeStatusError).hint).toMatch(/^the controller says not to retry \(DNR\)/);
    expect(sim.namespace.every((b) => b === 0)).toBe(true);
    await expect(q.read(1, 100n, 1)).rejects.toMatchObject({ name: 'LBA Out of Range' });
    await expect(q.read(1, 2n ** 64n - 1n, 1)).rejects.toMatchObject({ name: 'LBA Out of Range' });
    // the queue is still usable afterwards
    await q.write(1, 98n, new Uint8Array(1024).fill(0xbb));
    expect(sim.namespace[99 * 512 + 511]).toBe(0xbb);
  });

  it('an nsid the controller does not have: Invalid Namespace or Format; an inactive one: ERR_NVME_NAMESPACE_INACTIVE', async () => {
    const { c, q } = await setup({ nn: 4 });
    await expect(c.identifyNamespace(9)).rejects.toMatchObject({ code: 'ERR_NVME_STATUS', name: 'Invalid Namespace or Format', sct: 0, sc: 0x0b });
    await expect(c.identifyNamespace(3)).rejects.toMatchObject({ code: 'ERR_NVME_NAMESPACE_INACTIVE' });
    await expect(q.read(3, 0n, 1)).rejects.toMatchObject({ code: 'ERR_NVME_NAMESPACE_INACTIVE' });
  });

  it('a queue larger than CAP.MQES + 1 is refused before it reaches the controller', async () => {
    const { c } = await setup({ maxQueueEntries: 16 });
    await expect(c.createIoQueuePair({ entries: 17 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect((await c.createIoQueuePair({ entries: 16 })).entries).toBe(16);
  });
});

describe('controller fatal status', () => {
  it('CSTS.CFS while commands are outstanding: they reject with ERR_NVME_CONTROLLER_FATAL well before the timeout', async () => {
    const { sim, c, q } = await setup({}, { timeoutMs: 10_000 });
    sim.pause();
    const read = q.read(1, 0n, 1);
    sim.injectFatal();
    const started = Date.now();
    await expect(read).rejects.toMatchObject({ code: 'ERR_NVME_CONTROLLER_FATAL' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(c.fatal?.code).toBe('ERR_NVME_CONTROLLER_FATAL');
    await expect(q.read(1, 0n, 1)).rejects.toMatchObject({ code: 'ERR_NVME_CONTROLLER_FATAL' });
    await expect(c.identifyController()).rejects.toMatchObject({ code: 'ERR_NVME_CONTROLLER_FATAL' });
    await c.close();
    expect(sim.liveDmaBuffers).toBe(0);
    expect((sim.model.get(0x1c) as number) & 3).toBe(0); // the reset cleared CFS, RDY 0
  });

  it('bus mastering cleared under the driver: the controller cannot fetch, sets CFS, the read rejects', async () => {
    const { sim, q } = await setup();
    pci_clear_master(sim.device);
    await expect(q.read(1, 0n, 1)).rejects.toMatchObject({ code: 'ERR_NVME_CONTROLLER_FATAL' });
    expect(sim.iommu.faults.some((f) => f.fault?.reason === 'bus-master-off')).toBe(true);
  });

  it('open fails with ETIMEDOUT (CAP.TO) when CSTS.RDY never follows CC.EN, and leaves nothing allocated', async () => {
    const sim = createSimNvme({ neverReady: true, timeoutUnits: 1 });
    opened.push({ sim });
    const started = Date.now();
    await expect(NvmeController.open(sim.device)).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'nvme CSTS.RDY=1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450); // CAP.TO = 1: 500 ms
    expect(sim.liveDmaBuffers).toBe(0);
    expect(sim.config.busMaster).toBe(false);
  });
});

describe('a controller that misbehaves', () => {
  for (const completion of ['poll', 'interrupt'] as const) {
    it(`completions for CIDs nobody submitted are counted and dropped; real ones still match (${completion})`, async () => {
      const { sim, q } = await setup({ latency: 5 }, { completion });
      sim.namespace.fill(0x33, 0, 512);
      const read = q.read(1, 0n, 1); // CID 0 in flight
      expect(sim.injectCompletion(1, 40)).toBe(true); // CID 40: never submitted
      expect(sim.injectCompletion(1, 0xffff)).toBe(true);
      const data = await read;
      expect(data.every((b) => b === 0x33)).toBe(true);
      expect(q.stats.stray).toBe(2);
      expect(sim.injectCompletion(1, 0)).toBe(true); // slot 0's tag again, after its command completed: the next
      // command reuses slot 0 with a new generation in its CID, so this stale entry cannot complete it early
      await new Promise((r) => setTimeout(r, 20));
      expect(q.stats.stray).toBe(2); // nothing outstanding: nobody looks at the CQ until the next command
      expect((await q.read(1, 0n, 1))[0]).toBe(0x33);
      expect(q.stats.stray).toBe(3);
    });
  }
});

describe('timeouts', () => {
  it('an interrupt-driven command the controller does not complete rejects with ETIMEDOUT too', async () => {
    const { sim, q } = await setup({}, { timeoutMs: 150, completion: 'interrupt' });
    sim.pause();
    await expect(q.read(1, 0n, 1)).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'nvme Read' });
    sim.resume();
    expect((await q.read(1, 0n, 1)).byteLength).toBe(512);
    expect(q.stats.stray).toBe(0);
  });

  it('a command the controller does not complete rejects with ETIMEDOUT; its late completion frees the CID', async () => {
    const { sim, q } = await setup({}, { timeoutMs: 150 });
    sim.namespace.fill(0x5a, 0, 512);
    sim.pause();
    const started = Date.now();
    const err = await q.read(1, 0n, 1).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ETIMEDOUT', errno: -110, syscall: 'nvme Read' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(q.queue.inflight).toBe(1); // the controller still owns CID 0 and its buffer
    expect(q.stats.timedOut).toBe(1);
    sim.resume();
    const again = await q.read(1, 0n, 1); // the late completion arrives first and frees its slot
    expect(again.every((b) => b === 0x5a)).toBe(true);
    expect(q.queue.inflight).toBe(0);
    expect(q.stats).toMatchObject({ stray: 0, completed: 2 });
  });

  it('an admin command that times out rejects too, and close() still frees every buffer', async () => {
    const { sim, c } = await setup({}, { timeoutMs: 100 });
    sim.pause();
    await expect(c.identifyController()).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'nvme Identify' });
    await c.close();
    expect(sim.liveDmaBuffers).toBe(0);
  });
});

describe('hostile arguments: typed errors with a code, nothing submitted', () => {
  it('lba, blocks, nsid and data of the wrong type or value', async () => {
    const { sim, q } = await setup({ blocks: 64 });
    const before = sim.stats.ioCommands;
    // every refusal carries a one-line hint as well: one without shows up as a mismatch ("… NO HINT")
    const bad = (p: Promise<unknown>) =>
      p.then(() => 'resolved', (e: { code?: string; hint?: string; constructor: { name: string } }) => `${e.constructor.name} ${e.code}${e.hint ? '' : ' NO HINT'}`);
    const cases: [string, Promise<unknown>, string][] = [
      ['lba 1.5', q.read(1, 1.5 as unknown as bigint, 1), 'RangeError ERR_OUT_OF_RANGE'],
      ['lba -1', q.read(1, -1 as unknown as bigint, 1), 'RangeError ERR_OUT_OF_RANGE'],
      ['lba -1n', q.read(1, -1n, 1), 'RangeError ERR_OUT_OF_RANGE'],
      ['lba 2^64', q.read(1, 2n ** 64n, 1), 'RangeError ERR_OUT_OF_RANGE'],
      ['lba + blocks past 2^64', q.read(1, 2n ** 64n - 1n, 2), 'RangeError ERR_OUT_OF_RANGE'],
      ['lba NaN', q.read(1, NaN as unknown as bigint, 1), 'RangeError ERR_OUT_OF_RANGE'],
      ['lba string', q.read(1, '3' as unknown as bigint, 1), 'TypeError ERR_INVALID_ARG_TYPE'],
      ['lba null', q.read(1, null as unknown as bigint, 1), 'TypeError ERR_INVALID_ARG_TYPE'],
      ['blocks 0', q.read(1, 0n, 0), 'RangeError ERR_OUT_OF_RANGE'],
      ['blocks -1', q.read(1, 0n, -1), 'RangeError ERR_OUT_OF_RANGE'],
      ['blocks 1.5', q.read(1, 0n, 1.5), 'RangeError ERR_OUT_OF_RANGE'],
      ['blocks Infinity', q.read(1, 0n, Infinity), 'RangeError ERR_OUT_OF_RANGE'],
      ['blocks 1n', q.read(1, 0n, 1n as unknown as number), 'TypeError ERR_INVALID_ARG_TYPE'],
      ['blocks 2^40 (too many bytes)', q.read(1, 0n, 2 ** 40), 'RangeError ERR_OUT_OF_RANGE'],
      ['nsid 0', q.read(0, 0n, 1), 'RangeError ERR_OUT_OF_RANGE'],
      ['nsid 0xffffffff', q.read(0xffff_ffff, 0n, 1), 'RangeError ERR_OUT_OF_RANGE'],
      ['nsid 1.5', q.read(1.5, 0n, 1), 'RangeError ERR_OUT_OF_RANGE'],
      ['nsid "1"', q.read('1' as unknown as number, 0n, 1), 'TypeError ERR_INVALID_ARG_TYPE'],
      ['data a string', q.write(1, 0n, 'abc' as unknown as Uint8Array), 'TypeError ERR_INVALID_ARG_TYPE'],
      ['data an array', q.write(1, 0n, [1, 2, 3] as unknown as Uint8Array), 'TypeError ERR_INVALID_ARG_TYPE'],
      ['data a Uint16Array', q.write(1, 0n, new Uint16Array(256) as unknown as Uint8Array), 'TypeError ERR_INVALID_ARG_TYPE'],
      ['data empty', q.write(1, 0n, new Uint8Array(0)), 'RangeError ERR_INVALID_ARG_VALUE'],
      ['data 511 bytes', q.write(1, 0n, new Uint8Array(511)), 'RangeError ERR_INVALID_ARG_VALUE'],
      ['data 513 bytes', q.write(1, 0n, new Uint8Array(513)), 'RangeError ERR_INVALID_ARG_VALUE'],
    ];
    const got = await Promise.all(cases.map(([, p]) => bad(p)));
    expect(Object.fromEntries(cases.map(([what], i) => [what, got[i]]))).toEqual(Object.fromEntries(cases.map(([what, , want]) => [what, want])));
    expect(sim.stats.ioCommands).toBe(before); // none reached the controller
    expect(sim.namespace.every((b) => b === 0)).toBe(true);
    // beyond the namespace is the controller's to refuse (the specification's status), not an argument error
    await expect(q.read(1, 64n, 1)).rejects.toMatchObject({ code: 'ERR_NVME_STATUS', name: 'LBA Out of Range' });
    await expect(q.read(1, 63n, 2)).rejects.toMatchObject({ code: 'ERR_NVME_STATUS', name: 'LBA Out of Range' });
  });

  it('bad open and queue options, and a device that is not one', async () => {
    const sim = createSimNvme();
    opened.push({ sim });
    await expect(NvmeController.open({} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(NvmeController.open(null as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(NvmeController.open(sim.device, { completion: 'sometimes' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(NvmeController.open(sim.device, { adminEntries: 1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(NvmeController.open(sim.device, { timeoutMs: 0 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(NvmeController.open(sim.device, { timeoutMs: '5' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(NvmeController.open(sim.device, { pollSpinUs: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(sim.liveDmaBuffers).toBe(0);
    const c = await NvmeController.open(sim.device);
    opened[opened.length - 1].c = c;
    await expect(c.createIoQueuePair({ entries: 1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(c.createIoQueuePair({ entries: 2.5 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(c.createIoQueuePair({ completion: 'push' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(c.createIoQueuePair({ maxTransferBytes: 100 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(c.identifyNamespace(0)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(sim.ioQueues).toEqual({ sq: [], cq: [] });
  });

  it('interrupt mode on a function without MSI-X: ERR_NVME_NO_INTERRUPTS, nothing left allocated', async () => {
    const sim = createSimNvme();
    opened.push({ sim });
    const { enableIrqs: _, ...withoutMsix } = sim.device;
    await expect(NvmeController.open(withoutMsix, { completion: 'interrupt' })).rejects.toMatchObject({ code: 'ERR_NVME_NO_INTERRUPTS' });
    expect(sim.liveDmaBuffers).toBe(0);
    const c = await NvmeController.open(withoutMsix);
    opened[opened.length - 1].c = c;
    await expect(c.createIoQueuePair({ completion: 'interrupt' })).rejects.toMatchObject({ code: 'ERR_NVME_NO_INTERRUPTS' });
  });

  it('more interrupt-driven queue pairs than vectors: ERR_NVME_NO_VECTORS', async () => {
    const { c } = await setup({}, { completion: 'interrupt', interruptVectors: 2 });
    // setup made one pair on vector 1; vector 0 is the admin queue's
    await expect(c.createIoQueuePair()).rejects.toMatchObject({ code: 'ERR_NVME_NO_VECTORS' });
    expect((await c.createIoQueuePair({ completion: 'poll' })).completion).toBe('poll');
  });
});

describe('close', () => {
  for (const completion of ['poll', 'interrupt'] as const) {
    it(`deletes the queues, disables the controller, frees every DMA buffer, closes the vectors (${completion})`, async () => {
      const { sim, c, q } = await setup({ blocks: 4096 }, { completion });
      const q2 = await c.createIoQueuePair({ entries: 8 });
      await Promise.all([q.read(1, 0n, 300), q2.write(1, 0n, new Uint8Array(512 * 64)), q.read(1, 10n, 16)]);
      expect(sim.liveDmaBuffers).toBeGreaterThan(6); // admin SQ/CQ, two pairs' SQ/CQ, data buffers, PRP lists
      expect(sim.ioQueues).toEqual({ sq: [1, 2], cq: [1, 2] });
      expect(sim.stats.queuesDeleted).toBe(0);
      await c.close();
      expect(sim.liveDmaBuffers).toBe(0);
      expect(sim.stats.queuesDeleted).toBe(4); // Delete I/O SQ and CQ for both pairs, before the reset
      expect(sim.ioQueues).toEqual({ sq: [], cq: [] });
      expect((sim.model.get(0x14) as number) & 1).toBe(0); // CC.EN
      expect((sim.model.get(0x1c) as number) & 1).toBe(0); // CSTS.RDY
      expect(((sim.model.get(0x1c) as number) >>> 2) & 3).toBe(0); // SHST cleared by the reset after the shutdown
      expect(sim.config.busMaster).toBe(false);
      expect(c.regs.mapped).toBe(false);
      if (completion === 'interrupt') expect(sim.vectors.every((v) => v.closed)).toBe(true);
      await expect(q.read(1, 0n, 1)).rejects.toMatchObject({ code: 'ERR_NVME_CLOSED' });
      await expect(c.identifyController()).rejects.toMatchObject({ code: 'ERR_NVME_CLOSED' });
      await expect(c.createIoQueuePair()).rejects.toMatchObject({ code: 'ERR_NVME_CLOSED' });
      await c.close(); // idempotent
    });
  }

  it('commands outstanding at close: Delete I/O SQ aborts them (the specification\'s status), close() resolves', async () => {
    const { sim, c, q } = await setup({}, { timeoutMs: 60_000 });
    sim.pause('io'); // the I/O queues stall, the admin queue still answers
    const pending = [q.read(1, 0n, 1), q.write(1, 1n, new Uint8Array(512)), q.read(1, 2n, 8)];
    const settled = Promise.allSettled(pending);
    const started = Date.now();
    await c.close();
    expect(Date.now() - started).toBeLessThan(2000);
    const results = await settled;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_NVME_STATUS', name: 'Command Aborted due to SQ Deletion', sc: 0x08 });
    expect(sim.liveDmaBuffers).toBe(0);
    expect(sim.namespace[512]).toBe(0); // the aborted write moved nothing
  });

  it('a controller that stopped answering is still released (close does not hang or reject)', async () => {
    const { sim, c, q } = await setup({}, { timeoutMs: 100 });
    sim.pause();
    await expect(q.read(1, 0n, 1)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await c.close(); // the Delete commands time out; the reset and the frees happen anyway
    expect(sim.liveDmaBuffers).toBe(0);
    expect(sim.config.busMaster).toBe(false);
  });
});
