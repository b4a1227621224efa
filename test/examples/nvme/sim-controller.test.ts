/**
 * The simulated NVMe controller on its own, programmed register by register as the specification describes
 * (no driver in between), so what the driver's tests rely on is itself checked: the registers, enable and its
 * refusals, doorbells, PRP checks, a transfer to unmapped memory failing with Data Transfer Error (and the IOMMU
 * logging the fault), a full completion queue holding completions back, and the queue-management statuses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pci_set_master, type DmaCoherent, type IoRegion } from '../../../lib/index.js';
import { createSimNvme, decodeCompletion, encodeCommand, NVME_REGMAP, type NvmeCommand, type NvmeCompletion, type SimNvme, type SimNvmeOptions } from '../../../examples/nvme/index.js';

const sims: SimNvme[] = [];
afterEach(() => {
  for (const s of sims.splice(0)) s.close();
});

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A controller enabled by hand with a 4-entry admin queue; `submit` rings SQ0TDBL and waits for the CQ entry. */
async function enabled(options: SimNvmeOptions = {}, cc = 0x0046_0001) {
  const sim = createSimNvme(options);
  sims.push(sim);
  const bar: IoRegion = sim.device.map(0);
  pci_set_master(sim.device);
  const sq: DmaCoherent = sim.device.allocCoherent(4096);
  const cq: DmaCoherent = sim.device.allocCoherent(4096);
  bar.writel((3 << 16) | 3, NVME_REGMAP.offset('AQA'));
  bar.writeq(sq.dma_handle, NVME_REGMAP.offset('ASQ'));
  bar.writeq(cq.dma_handle, NVME_REGMAP.offset('ACQ'));
  bar.writel(cc, NVME_REGMAP.offset('CC'));
  await turn();
  await turn();
  let tail = 0;
  let head = 0;
  let phase = 1;
  const submit = async (cmd: NvmeCommand): Promise<NvmeCompletion> => {
    encodeCommand(new DataView(sq.cpu.buffer, sq.cpu.byteOffset), tail * 64, cmd);
    tail = (tail + 1) % 4;
    bar.writel(tail, 0x1000);
    for (let i = 0; i < 100; i++) {
      await turn();
      const c = decodeCompletion(new DataView(cq.cpu.buffer, cq.cpu.byteOffset), head * 16);
      if (c.phase === phase) {
        head = (head + 1) % 4;
        if (head === 0) phase ^= 1;
        bar.writel(head, 0x1004);
        return c;
      }
    }
    throw new Error('no completion');
  };
  return { sim, bar, submit };
}

describe('registers and enable', () => {
  it('CAP, VS and CSTS as configured; CC.EN sets CSTS.RDY on the next turn, CC.EN = 0 clears it', async () => {
    const sim = createSimNvme({ maxQueueEntries: 1024, dstrd: 3, timeoutUnits: 20 });
    sims.push(sim);
    const bar = sim.device.map(0);
    const cap = NVME_REGMAP.decode('CAP', bar.readq(0));
    expect(cap).toMatchObject({ MQES: 1023n, CQR: 1n, TO: 20n, DSTRD: 3n, CSS: 1n, MPSMIN: 0n, MPSMAX: 4n });
    expect(bar.readl(4)).toBe(Number(bar.readq(0) >> 32n)); // CAP's upper half by 32-bit read
    expect(bar.readl(NVME_REGMAP.offset('VS'))).toBe(0x10400);
    const sq = sim.device.allocCoherent(4096);
    bar.writel(0x0001_0001, 0x24);
    bar.writeq(sq.dma_handle, 0x28);
    bar.writeq(sq.dma_handle, 0x30);
    bar.writel(0x0046_0001, 0x14);
    expect(bar.readl(0x1c) & 1).toBe(0); // not yet: a controller takes time
    await turn();
    expect(bar.readl(0x1c) & 1).toBe(1);
    bar.writel(0, 0x14);
    await turn();
    expect(bar.readl(0x1c)).toBe(0);
    bar.writel(0xffff_ffff, 0x1c); // CSTS is read-only for the host (but NSSRO, write-1-to-clear)
    expect(bar.readl(0x1c)).toBe(0);
  });

  it('a bad configuration (IOSQES 7) sets CSTS.CFS instead of RDY; CC.EN = 0 clears it', async () => {
    const { bar } = await enabled({}, 0x0047_0001);
    expect(bar.readl(0x1c) & 3).toBe(2);
    bar.writel(0, 0x14);
    await turn();
    expect(bar.readl(0x1c) & 3).toBe(0);
  });

  it('doorbells: ignored while not ready, counted when out of range or misaligned', async () => {
    const sim = createSimNvme();
    sims.push(sim);
    const bar = sim.device.map(0);
    bar.writel(1, 0x1000); // not enabled: ignored
    expect(sim.stats.badDoorbells).toBe(0);
    const { sim: live, bar: liveBar } = await enabled();
    liveBar.writel(9, 0x1000); // SQ0 has 4 entries
    liveBar.writel(0, 0x1008); // SQ1 does not exist
    liveBar.writew(0, 0x1000); // a doorbell is 32 bits
    expect(live.stats.badDoorbells).toBe(3);
    expect(liveBar.readl(0x1000)).toBe(0);
  });
});

describe('commands over the simulated bus', () => {
  it('Identify into unmapped memory: Data Transfer Error, and the IOMMU logs the fault', async () => {
    const { sim, submit } = await enabled();
    const c = await submit({ opcode: 0x06, cid: 7, cdw10: 1, prp1: 0x7000_0000n });
    expect(c).toMatchObject({ cid: 7, sct: 0, sc: 0x04, sqhd: 1, sqid: 0 });
    expect(sim.iommu.faults.at(-1)).toMatchObject({ iova: 0x7000_0000n, fault: { access: 'write', reason: 'unmapped' } });
    expect(sim.stats.transferErrors).toBe(1);
  });

  it('Identify with PRP1 at an offset spans PRP2; a misaligned PRP1 or PRP2: PRP Offset Invalid', async () => {
    const { sim, submit } = await enabled();
    const buf = sim.device.allocCoherent(8192);
    const ok = await submit({ opcode: 0x06, cid: 1, cdw10: 1, prp1: buf.dma_handle + 2048n, prp2: buf.dma_handle + 4096n });
    expect(ok.sc).toBe(0);
    expect(new DataView(buf.cpu.buffer, buf.cpu.byteOffset).getUint16(2048, true)).toBe(0x1b36); // VID at the offset
    expect(buf.cpu[2048 + 516]).toBe(1); // NN, in the second page
    expect((await submit({ opcode: 0x06, cid: 2, cdw10: 1, prp1: buf.dma_handle + 2n })).sc).toBe(0x13);
    expect((await submit({ opcode: 0x06, cid: 3, cdw10: 1, prp1: buf.dma_handle + 2048n, prp2: buf.dma_handle + 100n })).sc).toBe(0x13);
    expect((await submit({ opcode: 0x7f, cid: 4 })).sc).toBe(0x01); // Invalid Command Opcode
  });

  it('queue management statuses: Invalid Queue Identifier, Completion Queue Invalid, Invalid Interrupt Vector, Invalid Queue Deletion', async () => {
    const { sim, submit } = await enabled();
    const mem = sim.device.allocCoherent(4096);
    const h = mem.dma_handle;
    expect(await submit({ opcode: 0x01, cid: 1, prp1: h, cdw10: (7 << 16) | 1, cdw11: (1 << 16) | 1 })).toMatchObject({ sct: 1, sc: 0x00 }); // SQ on a missing CQ
    expect(await submit({ opcode: 0x05, cid: 2, prp1: h, cdw10: (7 << 16) | 1, cdw11: (99 << 16) | 3 })).toMatchObject({ sct: 1, sc: 0x08 }); // vector 99 (none enabled)
    sim.device.enableIrqs!('msix', 4);
    expect(await submit({ opcode: 0x05, cid: 3, prp1: h, cdw10: (7 << 16) | 1, cdw11: (3 << 16) | 3 })).toMatchObject({ sct: 0, sc: 0 });
    expect(await submit({ opcode: 0x05, cid: 4, prp1: h, cdw10: (7 << 16) | 1, cdw11: 1 })).toMatchObject({ sct: 1, sc: 0x01 }); // CQ 1 exists
    expect(await submit({ opcode: 0x05, cid: 5, prp1: h, cdw10: (70000 << 16) | 2, cdw11: 1 })).toMatchObject({ sct: 1, sc: 0x02 }); // too big
    expect(await submit({ opcode: 0x01, cid: 6, prp1: h, cdw10: (7 << 16) | 1, cdw11: (1 << 16) | 1 })).toMatchObject({ sct: 0, sc: 0 });
    expect(await submit({ opcode: 0x04, cid: 7, cdw10: 1 })).toMatchObject({ sct: 1, sc: 0x0c }); // CQ 1 has SQ 1
    expect(sim.ioQueues).toEqual({ sq: [1], cq: [1] });
    expect(await submit({ opcode: 0x00, cid: 8, cdw10: 1 })).toMatchObject({ sc: 0 });
    expect(await submit({ opcode: 0x04, cid: 9, cdw10: 1 })).toMatchObject({ sc: 0 });
    expect(sim.ioQueues).toEqual({ sq: [], cq: [] });
  });

  it('a full completion queue holds completions back until the head doorbell makes room', async () => {
    const { sim, bar, submit } = await enabled();
    const mem = sim.device.allocCoherent(3 * 4096);
    const cqMem = mem.dma_handle;
    const sqMem = mem.dma_handle + 4096n;
    expect((await submit({ opcode: 0x05, cid: 1, prp1: cqMem, cdw10: (1 << 16) | 1, cdw11: 1 })).sc).toBe(0); // 2 entries: room for 1
    expect((await submit({ opcode: 0x01, cid: 2, prp1: sqMem, cdw10: (3 << 16) | 1, cdw11: (1 << 16) | 1 })).sc).toBe(0);
    const sqView = new DataView(mem.cpu.buffer, mem.cpu.byteOffset + 4096);
    for (let i = 0; i < 3; i++) encodeCommand(sqView, i * 64, { opcode: 0x00, cid: 10 + i, nsid: 1 }); // Flush
    bar.writel(3, 0x1008);
    await turn();
    const cqView = new DataView(mem.cpu.buffer, mem.cpu.byteOffset);
    expect(decodeCompletion(cqView, 0)).toMatchObject({ cid: 10, phase: 1, sqhd: 3 });
    expect(decodeCompletion(cqView, 16).phase).toBe(0); // full: the second waits
    expect(sim.stats.completions).toBe(3); // the two creates, and one of the three flushes
    bar.writel(1, 0x100c); // CQ1 head = 1
    await turn();
    expect(decodeCompletion(cqView, 16)).toMatchObject({ cid: 11, phase: 1 });
  });
});
