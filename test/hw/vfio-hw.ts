/**
 * Finding the edu the rig binds to vfio-pci (test/vm/run.sh --iommu: the last edu, /dev/vfio/<group>). Throws
 * loudly anywhere else, so the VFIO tests never pass by not running.
 */
import { listPciDevices, openVfio, type IoRegion, type PciDeviceInfo, type VfioDevice } from '../../lib/index.js';
import { EDU_DEVICE, EDU_VENDOR } from './edu-hw.js';

export function findVfioEdu(): PciDeviceInfo {
  const edus = listPciDevices().filter((d) => d.vendor === EDU_VENDOR && d.device === EDU_DEVICE);
  const bound = edus.find((d) => d.driver === 'vfio-pci');
  if (bound === undefined) {
    throw new Error(
      'HARDWARE TEST CANNOT RUN HERE: no edu bound to vfio-pci. Run the hardware suite in the guest with the IOMMU: npm run test:vm (test/vm/run.sh --iommu)',
    );
  }
  return bound;
}

/** edu's DMA registers (hw/misc/edu.c) and its buffer's bus address inside the device. */
export const EDU_DMA_SRC = 0x80;
export const EDU_DMA_DST = 0x88;
export const EDU_DMA_COUNT = 0x90;
export const EDU_DMA_CMD = 0x98;
export const EDU_DMA_BUF = 0x40000n;
export const EDU_DMA_CMD_START = 1;
export const EDU_DMA_CMD_TO_RAM = 2;
export const EDU_DMA_CMD_IRQ = 4;

/** One edu DMA transfer, polled to completion (edu starts it on a 100 ms timer). */
export async function eduDma(bar: IoRegion, src: bigint, dst: bigint, count: number, toRam: boolean, irq = false): Promise<void> {
  bar.writeq(src, EDU_DMA_SRC);
  bar.writeq(dst, EDU_DMA_DST);
  bar.writeq(BigInt(count), EDU_DMA_COUNT);
  bar.writeq(BigInt(EDU_DMA_CMD_START | (toRam ? EDU_DMA_CMD_TO_RAM : 0) | (irq ? EDU_DMA_CMD_IRQ : 0)), EDU_DMA_CMD);
  if (!irq) await bar.readl_poll_timeout(EDU_DMA_CMD, (v) => (v & EDU_DMA_CMD_START) === 0, 1000, 5_000_000);
}

/** Open the vfio-bound edu and map its BAR0. */
export function openVfioEdu(): { dev: VfioDevice; bar: IoRegion } {
  const dev = openVfio(findVfioEdu().bdf);
  try {
    return { dev, bar: dev.map(0) };
  } catch (e) {
    dev.close();
    throw e;
  }
}
