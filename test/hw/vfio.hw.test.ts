/**
 * VFIO on the real kernel (guest booted with test/vm/run.sh --iommu): opening, BAR access, config space, bus
 * mastering, reset, and the set-up errors with their codes and hints.
 */
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listPciDevices,
  openPhysDma,
  openVfio,
  pci_clear_master,
  pci_read_config_byte,
  pci_read_config_dword,
  pci_read_config_word,
  pci_set_master,
  pci_write_config_word,
  PCI_COMMAND,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  type IoRegion,
  type VfioDevice,
} from '../../lib/index.js';
import { EDU_DEVICE, EDU_ID, EDU_VENDOR, findEduHardware } from './edu-hw.js';
import { findVfioEdu, openVfioEdu } from './vfio-hw.js';

let dev: VfioDevice;
let bar: IoRegion;
beforeAll(() => {
  ({ dev, bar } = openVfioEdu());
});
afterAll(() => dev?.close());

describe('VFIO: opening the edu bound to vfio-pci', () => {
  it('reports the group, regions, interrupt counts and the IOMMU as measured on this rig', () => {
    const edu = findVfioEdu();
    expect(dev.info.pci.bdf).toBe(edu.bdf);
    expect(dev.info.group).toBe(Number(process.env.MMIO_VM_VFIO_GROUP));
    expect(dev.info.numRegions).toBe(9);
    expect(dev.info.canReset).toBe(false);
    expect(dev.info.irqCounts).toMatchObject({ intx: 1, msi: 1, msix: 0, req: 1 });
    expect(dev.info.iommu.type).toBe('type1v2');
    expect(dev.info.iommu.pageSizes & 0x1000n).toBe(0x1000n);
    // the MSI window 0xfee00000.. is a hole between the ranges
    const ranges = dev.info.iommu.ranges;
    expect(ranges.length).toBeGreaterThanOrEqual(2);
    expect(ranges.some(([s, e]) => s <= 0xfee00000n && 0xfee00000n <= e)).toBe(false);
    expect(dev.info.iommu.dmaAvail).toBeGreaterThan(0);
  });

  it('maps BAR0 through mmap and drives the registers (ID, liveness, factorial)', async () => {
    expect(dev.mapRegion(0).access).toBe('mmap');
    expect(bar.size).toBe(0x100000);
    expect(bar.phys).toBe(findVfioEdu().bars[0].start);
    expect(bar.readl(0x00)).toBe(EDU_ID);
    bar.writel(0x1234_5678, 0x04);
    expect(bar.readl(0x04)).toBe(~0x1234_5678 >>> 0);
    bar.writel(10, 0x08);
    await bar.readl_poll_timeout(0x20, (v) => (v & 1) === 0, 10, 1_000_000);
    expect(bar.readl(0x08)).toBe(3628800);
    // access width is observable on edu: an 8-bit read answers 0
    expect(bar.readb(0x00)).toBe(0);
  });

  it('a region without mmap (config space, index 7) is reached with pread/pwrite', () => {
    const info = dev.regionInfo(7);
    expect(info.flags & 4).toBe(0);
    expect(info.size).toBe(256n);
    expect(dev.configSize).toBe(256);
  });

  it('a second open of the same device in this process is refused with EBUSY', () => {
    let err: (Error & { code?: string; ioctl?: string; hint?: string }) | undefined;
    try {
      openVfio(findVfioEdu().bdf).close();
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).toBe('EBUSY');
    expect(err?.hint).toMatch(/already open/);
    // the failed open left the group attached for the device that holds it
    expect(bar.readl(0)).toBe(EDU_ID);
  });

  it('a worker thread that opens the device this thread holds gets EBUSY naming the other thread (one container per group)', async () => {
    const lib = new URL('../../dist/lib/index.js', import.meta.url).href;
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       import(workerData.lib).then((m) => {
         try { m.openVfio(workerData.bdf).close(); parentPort.postMessage({ opened: true }); }
         catch (e) { parentPort.postMessage({ code: e.code, syscall: e.syscall, path: e.path, hint: e.hint, message: e.message }); }
       });`,
      { eval: true, workerData: { lib, bdf: findVfioEdu().bdf } },
    );
    const got = await new Promise<Record<string, string>>((resolve, reject) => worker.once('message', resolve).once('error', reject));
    await worker.terminate();
    expect(got).toMatchObject({ code: 'EBUSY', syscall: 'open', path: `/dev/vfio/${dev.info.group}` });
    expect(got.hint).toMatch(/another thread of this process .* has \/dev\/vfio\/\d+ open in its own container, and VFIO allows one container per group: open the device in one thread .*postMessage/);
    expect(bar.readl(0)).toBe(EDU_ID); // this thread's device is untouched
  });

  it('another process that opens it gets EBUSY naming this process', () => {
    const lib = new URL('../../dist/lib/index.js', import.meta.url).href;
    const script = `const m = await import(${JSON.stringify(lib)});
      try { m.openVfio(${JSON.stringify(findVfioEdu().bdf)}).close(); console.log('{}'); } catch (e) { console.log(JSON.stringify({ code: e.code, hint: e.hint })); }`;
    const got = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { code?: string; hint?: string };
    expect(got.code).toBe('EBUSY');
    expect(got.hint).toMatch(new RegExp(`^process ${process.pid} has /dev/vfio/\\d+ open \\(a group belongs to one container at a time\\)`));
  });

});

describe('VFIO: config space', () => {
  it('reads the IDs at 8, 16 and 32 bits with the kernel names', () => {
    expect(pci_read_config_word(dev, 0x00)).toBe(EDU_VENDOR);
    expect(pci_read_config_word(dev, 0x02)).toBe(EDU_DEVICE);
    expect(pci_read_config_dword(dev, 0x00)).toBe(((EDU_DEVICE << 16) | EDU_VENDOR) >>> 0);
    expect(pci_read_config_byte(dev, 0x00)).toBe(EDU_VENDOR & 0xff);
    expect(pci_read_config_byte(dev, 0x01)).toBe(EDU_VENDOR >> 8);
  });

  it('pci_set_master / pci_clear_master flip PCI_COMMAND bit 2 and keep memory decoding on', () => {
    pci_clear_master(dev);
    expect(pci_read_config_word(dev, PCI_COMMAND) & PCI_COMMAND_MASTER).toBe(0);
    pci_set_master(dev);
    const cmd = pci_read_config_word(dev, PCI_COMMAND);
    expect(cmd & PCI_COMMAND_MASTER).toBe(PCI_COMMAND_MASTER);
    expect(cmd & PCI_COMMAND_MEMORY).toBe(PCI_COMMAND_MEMORY);
  });

  it('with memory decoding off a BAR read through the mapping is a bus fault (EFAULT), not a crash; on again it reads', () => {
    const cmd = pci_read_config_word(dev, PCI_COMMAND);
    pci_write_config_word(dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
    try {
      let err: (Error & { code?: string }) | undefined;
      try {
        bar.readl(0);
      } catch (e) {
        err = e as typeof err;
      }
      expect(err?.code).toBe('EFAULT');
    } finally {
      pci_write_config_word(dev, PCI_COMMAND, cmd);
    }
    // the region is poisoned after a fault: map again
    const fresh = dev.map(0);
    expect(fresh.readl(0)).toBe(EDU_ID);
    fresh.iounmap();
  });

  it('refuses out-of-range and unaligned config offsets with codes', () => {
    expect(() => pci_read_config_dword(dev, 256)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => pci_read_config_dword(dev, -4)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => pci_read_config_word(dev, 1)).toThrow(expect.objectContaining({ code: 'ERR_UNALIGNED' }));
    expect(() => pci_read_config_word(dev, '4' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it('reset: edu has no reset method, so VFIO_DEVICE_RESET fails with a hint', () => {
    let err: (Error & { ioctl?: string; hint?: string }) | undefined;
    try {
      dev.reset();
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.ioctl).toBe('VFIO_DEVICE_RESET');
    expect(err?.hint).toMatch(/no reset method/);
  });

  it('has no BAR1 (ERR_OUT_OF_RANGE naming BAR0)', () => {
    expect(() => dev.map(1)).toThrow(/has no BAR1; it has: BAR0/);
    expect(() => dev.map(6)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('VFIO: set-up errors with their own codes and hints', () => {
  it('a device bound to another driver: ERR_VFIO_WRONG_DRIVER naming the driver and how to rebind', () => {
    const { uioEdu } = findEduHardware();
    expect(() => openVfio(uioEdu.bdf)).toThrow(expect.objectContaining({ code: 'ERR_VFIO_WRONG_DRIVER', hint: expect.stringMatching(/driver_override/) }));
    expect(() => openVfio(uioEdu.bdf)).toThrow(/uio_pci_generic/);
  });

  it('an unbound device: ERR_VFIO_UNBOUND', () => {
    const free = listPciDevices().find((d) => d.vendor === EDU_VENDOR && d.device === EDU_DEVICE && d.driver === undefined);
    expect(free, 'the rig leaves one edu unbound').toBeDefined();
    expect(() => openVfio(free!.bdf)).toThrow(expect.objectContaining({ code: 'ERR_VFIO_UNBOUND' }));
  });

  it('DMA to physical addresses (openPhysDma) is refused where the IOMMU translates: ERR_DMA_IOMMU_TRANSLATING', () => {
    const { uioEdu } = findEduHardware();
    expect(() => openPhysDma(uioEdu.bdf)).toThrow(expect.objectContaining({ code: 'ERR_DMA_IOMMU_TRANSLATING', hint: expect.stringMatching(/openVfio/) }));
  });

  it('no such device: ENODEV listing the devices', () => {
    expect(() => openVfio('0000:00:1f.7')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
  });

  it('vendor:device picks the edu bound to vfio-pci, passing over the others', () => {
    // the device is open already, so the pick shows as EBUSY on it (not WRONG_DRIVER on the UIO edu)
    expect(() => openVfio('1234:11e8')).toThrow(expect.objectContaining({ code: 'EBUSY' }));
  });
});

describe('mmio vfio list (the CLI)', () => {
  it('lists the groups: the vfio edu viable with its /dev/vfio file, the UIO edu not viable', () => {
    const cli = (...args: string[]) => execFileSync(process.execPath, ['dist/cli/mmio.js', 'vfio', 'list', ...args], { encoding: 'utf8' });
    const groups = JSON.parse(cli('--json')) as Array<{ group: number; devicePath: string; hasDeviceFile: boolean; viable: boolean; devices: Array<{ bdf: string; driver?: string }> }>;
    const mine = groups.find((g) => g.devices.some((d) => d.bdf === findVfioEdu().bdf));
    expect(mine).toMatchObject({ group: dev.info.group, hasDeviceFile: true, viable: true, devices: [{ bdf: findVfioEdu().bdf, driver: 'vfio-pci', vendor: EDU_VENDOR, device: EDU_DEVICE }] });
    const uio = groups.find((g) => g.devices.some((d) => d.bdf === findEduHardware().uioEdu.bdf));
    expect(uio).toMatchObject({ hasDeviceFile: false, viable: false });
    const text = cli();
    expect(text).toContain(`group ${dev.info.group}  /dev/vfio/${dev.info.group}  viable`);
    expect(text).toContain(`  ${findVfioEdu().bdf}  1234:11e8  driver vfio-pci`);
  });

  it('VFIO targets: read, write and md of vfio:<bdf>:bar0 (the test closes its own handle first)', () => {
    dev.close();
    try {
      const mmio = (...args: string[]) => execFileSync(process.execPath, ['dist/cli/mmio.js', ...args], { encoding: 'utf8' });
      const t = `vfio:${findVfioEdu().bdf}:bar0`;
      expect(mmio('read', t)).toBe('0x010000ed\n');
      expect(mmio('read', 'vfio:1234:11e8:bar0')).toBe('0x010000ed\n');
      mmio('write', `${t}+0x4`, 'w', '0x11223344');
      expect(mmio('read', `${t}+0x4`)).toBe('0xeeddccbb\n');
      expect(mmio('md', '-l', t, '8')).toMatch(/^00000000: 010000ed eeddccbb/);
    } finally {
      ({ dev, bar } = openVfioEdu());
    }
  });
});

describe('VFIO: garbage collection', () => {
  it('an unreachable device and DMA buffer are released by GC: the device opens again in the same process, the IOVA is reused', () => {
    dev.close();
    const lib = new URL('../../dist/lib/index.js', import.meta.url).href;
    const script = `
      const m = await import(${JSON.stringify(lib)});
      const bdf = ${JSON.stringify(findVfioEdu().bdf)};
      const tick = () => new Promise((r) => setTimeout(r, 20));
      let first;
      (() => { const d = m.openVfio(bdf); first = m.dma_alloc_coherent(d, 4096).dma_handle; })();
      let busy;
      try { m.openVfio(bdf); } catch (e) { busy = e.code; }
      for (let i = 0; i < 5; i++) { globalThis.gc(); await tick(); }
      const again = m.openVfio(bdf);
      const second = m.dma_alloc_coherent(again, 4096).dma_handle;
      const id = again.map(0).readl(0);
      again.close();
      console.log(JSON.stringify({ busy, first: String(first), second: String(second), id }));`;
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const r = JSON.parse(out) as { busy: string; first: string; second: string; id: number };
    expect(r.busy).toBe('EBUSY'); // still reachable until the GC: refused
    expect(r.id).toBe(EDU_ID);
    expect(r.second).toBe(r.first); // the collected buffer's IOVA range was unmapped and given back
    ({ dev, bar } = openVfioEdu());
  });
});

describe('VFIO: close', () => {
  it('close() unmaps the BARs, refuses further use, releases the group; the device opens again', () => {
    const extra = dev.map(0);
    dev.close();
    expect(bar.mapped).toBe(false);
    expect(extra.mapped).toBe(false);
    expect(() => bar.readl(0)).toThrow(expect.objectContaining({ code: 'ERR_IOMEM_UNMAPPED' }));
    expect(() => dev.map(0)).toThrow(expect.objectContaining({ code: 'ERR_DEVICE_CLOSED' }));
    dev.close(); // idempotent
    ({ dev, bar } = openVfioEdu());
    expect(bar.readl(0)).toBe(EDU_ID);
  });
});
