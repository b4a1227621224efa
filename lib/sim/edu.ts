/**
 * A simulated QEMU `edu` PCI device (QEMU docs/specs/edu.rst, hw/misc/edu.c; PCI 1234:11e8, BAR0 1 MiB), as
 * seen through its BAR0: the same registers, the same answers to wrong-width accesses, a factorial that is
 * busy for a while, and an interrupt line. Drivers written for the real device run on it unchanged.
 *
 * Modelled: 0x00 identification, 0x04 liveness, 0x08 factorial, 0x20 status, 0x24 interrupt status,
 * 0x60 interrupt raise, 0x64 interrupt acknowledge, and the DMA engine (0x80 source, 0x88 destination, 0x90
 * count, 0x98 command; lib/sim/edu-dma.ts) working on a simulated bus memory behind a simulated IOMMU
 * ({@link SimIommu}: `edu.dma_alloc_coherent` through the kernel-named functions), with a config space
 * ({@link SimPciConfig}: bus mastering starts off, as under VFIO). Not modelled: MSI (the line behaves as INTx).
 *
 * The layout (offsets, widths, reset values, read-only and write-only registers, the writable status bit) is
 * generated from {@link EDU_REGMAP}, the register map the example driver uses; the behaviour (liveness, the busy
 * factorial, interrupt raise and acknowledge, wrong-width answers) is added as hooks.
 * @module
 */
import { EDU_REGMAP } from '../regmap/edu.js';
import { createRegisterModel } from './regmap-model.js';
import { BusyCountdown } from './busy.js';
import { readsAs, type RegisterModel } from './register-model.js';
import { allOnes, type BusValue } from '../core/bus-value.js';
import { SimInterrupts } from './sim-interrupts.js';
import { SimRegion } from './sim-region.js';
import { checkOptions } from '../core/checks.js';
import { SimIommu } from './sim-iommu.js';
import { SimPciConfig } from './sim-pci-config.js';
import { attachSimBus } from './sim-bus.js';
import { EDU_DMA_REG_END, EDU_DMA_REG_FIRST, EduDmaEngine } from './edu-dma.js';
import type { AccessWidth } from '../core/io-region.js';
import type { DmaDevice } from '../core/dma.js';
import type { PciConfigSpace } from '../core/pci-config.js';

/** Size of edu's BAR0 in bytes (1 MiB): {@link EDU_REGMAP}'s `size`. */
export const SIM_EDU_BAR_SIZE = EDU_REGMAP.size;

/** What edu's identification register (0x00) reads: `0xRRrr00ed`, major 1, minor 0 ({@link EDU_REGMAP}'s ID reset value). */
export const SIM_EDU_ID = EDU_REGMAP.reset('ID');

const REG_FACTORIAL = EDU_REGMAP.offset('FACTORIAL');
const REG_STATUS = EDU_REGMAP.offset('STATUS');
const REG_IRQ_STATUS = EDU_REGMAP.offset('IRQ_STATUS');

const STATUS_COMPUTING = EDU_REGMAP.mask('STATUS', 'COMPUTING');
const STATUS_IRQ_FACTORIAL = EDU_REGMAP.mask('STATUS', 'IRQ_FACTORIAL');
/** The interrupt status bit edu raises when a factorial ends with STATUS_IRQ_FACTORIAL set. */
const IRQ_FACTORIAL = EDU_REGMAP.mask('IRQ_STATUS', 'FACTORIAL');

/** Options of {@link createSimEdu}. */
export interface SimEduOptions {
  /** Name in the region's and the interrupt source's `path` (`sim:<name>`). Default `'edu'`. */
  name?: string;
  /** The `phys` the region reports (a pretend BAR0 address). Default `0xfea00000n`. */
  phys?: bigint;
  /**
   * Reads of the status register (0x20) that still show "computing" (bit 0) after a factorial is started;
   * the next read shows it done. Default 3, so polling loops really poll.
   */
  factorialBusyReads?: number;
  /**
   * Microseconds after which a factorial ends even if nobody reads the status (and raises its interrupt if
   * status bit 7 is set). `Infinity`: only status reads end it. Default 10 000 (10 ms).
   */
  factorialBusyUs?: number;
  /** Milliseconds from a DMA start command to the transfer (QEMU's edu: 100). Default 10. */
  dmaDelayMs?: number;
  /** The device's DMA mask in bits (edu's `dma_mask` property): bus addresses are cut to it. Default 28. */
  dmaMaskBits?: number;
}

/** A simulated edu device: its BAR0 region, its interrupt line, and the model behind them. */
export interface SimEdu extends Disposable, DmaDevice, PciConfigSpace {
  /** BAR0 as an {@link IoRegion} (`sim:edu`, 1 MiB): what a driver maps. */
  readonly regs: SimRegion;
  /** The device's interrupt line as an {@link InterruptSource}, with UIO semantics (masked after each interrupt). */
  readonly irq: SimInterrupts;
  /** The register model behind `regs`, for tests that look at device state (`model.get(0x24)`). */
  readonly model: RegisterModel;
  /** The simulated IOMMU and bus memory the DMA engine works on; its `trace` logs allocations, transfers and faults. */
  readonly iommu: SimIommu;
  /** The DMA engine (its 4 KiB buffer, refused out-of-bounds transfers). */
  readonly dmaEngine: EduDmaEngine;
  /** The config space (PCI_COMMAND: bus mastering off until pci_set_master). */
  readonly config: SimPciConfig;
  /** Device reset: registers back to their reset values, a running factorial or DMA dropped, the line deasserted. */
  reset(): void;
  /** Unmap `regs`, close `irq`, stop the factorial timer. Idempotent; also run by `using`. */
  close(): void;
}

/**
 * Build a simulated QEMU edu device.
 *
 * Behaviour, as QEMU's hw/misc/edu.c: only 4-byte accesses reach the registers below 0x80; 1- and 2-byte
 * accesses anywhere read 0 and are ignored (the access is refused, and refused reads return 0); 8-byte
 * accesses below 0x80 and 4/8-byte accesses to offsets with no register read all ones and are ignored.
 * 0x00 reads {@link SIM_EDU_ID}; 0x04 reads the bitwise NOT of the last value written; writing n to 0x08
 * (ignored while computing) sets status bit 0 until the factorial is done, then 0x08 reads n! modulo 2^32 and,
 * if status bit 7 is set, interrupt status bit 0 is raised; 0x60 ORs the value written into 0x24 and asserts
 * the line; 0x64 clears the bits written from 0x24 and deasserts the line when 0x24 becomes 0.
 *
 * @throws RangeError `ERR_OUT_OF_RANGE` if `factorialBusyReads` is not a non-negative integer or
 *   `factorialBusyUs` is negative.
 */
export function createSimEdu(options: SimEduOptions = {}): SimEdu {
  options = checkOptions(options);
  const name = options.name ?? 'edu';
  const irq = new SimInterrupts({ name, trigger: 'level' });

  const busy = new BusyCountdown({
    reads: options.factorialBusyReads ?? 3,
    timeUs: options.factorialBusyUs ?? 10_000,
    onDone: () => finishFactorial(),
  });

  // Wrong-width or unmapped accesses: refused ones (1, 2 bytes) read 0, the handler's default is all ones.
  const wrongAccess = readsAs((width) => (width < 4 ? 0 : allOnes(width)));
  const model: RegisterModel = createRegisterModel(EDU_REGMAP, {
    unmodelled: wrongAccess,
    mismatched: wrongAccess,
    // IRQ_RAISE and IRQ_ACK are write-only: edu's read handler has no case for them and answers all ones.
    writeOnlyReads: allOnes,
    hooks: {
      LIVENESS: { onWrite: (value, ctx) => ctx.set(~(value as number) >>> 0) },
      FACTORIAL: {
        onRead: () => {
          void busy.busy; // lets a factorial whose time is up finish before the value is read
        },
        onWrite: (_value, ctx) => {
          if (busy.busy) {
            ctx.set(ctx.previous); // edu ignores a new n while computing
            return;
          }
          model.set(REG_STATUS, (model.get(REG_STATUS) as number) | STATUS_COMPUTING);
          busy.start();
        },
      },
      // Only bit 7 (IRQ_FACTORIAL) is writable: the map makes COMPUTING read-only and the other bits reserved.
      STATUS: {
        onRead: () => {
          busy.countRead();
        },
      },
      IRQ_RAISE: {
        onWrite: (value, ctx) => {
          ctx.set(0);
          raiseIrq(value);
        },
      },
      IRQ_ACK: {
        onWrite: (value, ctx) => {
          ctx.set(0);
          lowerIrq(value);
        },
      },
    },
  });

  function raiseIrq(bits: BusValue): void {
    const status = ((model.get(REG_IRQ_STATUS) as number) | (bits as number)) >>> 0;
    model.set(REG_IRQ_STATUS, status);
    if (status !== 0) irq.setLevel(true);
  }

  function lowerIrq(bits: BusValue): void {
    const status = ((model.get(REG_IRQ_STATUS) as number) & ~(bits as number)) >>> 0;
    model.set(REG_IRQ_STATUS, status);
    if (status === 0) irq.setLevel(false);
  }

  function finishFactorial(): void {
    model.set(REG_FACTORIAL, factorialU32(model.get(REG_FACTORIAL) as number));
    const status = (model.get(REG_STATUS) as number) & ~STATUS_COMPUTING;
    model.set(REG_STATUS, status);
    if (status & STATUS_IRQ_FACTORIAL) raiseIrq(IRQ_FACTORIAL);
  }

  const config = new SimPciConfig({ vendor: 0x1234, device: 0x11e8, classCode: 0x00ff00 });
  const iommu = new SimIommu();
  const dmaEngine = new EduDmaEngine(iommu, () => config.busMaster, (bits) => raiseIrq(bits), {
    delayMs: options.dmaDelayMs,
    maskBits: options.dmaMaskBits,
  });
  // 0x80..0x9f go to the DMA engine, everything else to the register model.
  const bar = {
    size: model.size,
    read: (offset: number, width: AccessWidth) =>
      offset >= EDU_DMA_REG_FIRST && offset < EDU_DMA_REG_END ? dmaEngine.read(offset, width) : model.read(offset, width),
    write: (offset: number, width: AccessWidth, value: BusValue) =>
      offset >= EDU_DMA_REG_FIRST && offset < EDU_DMA_REG_END ? dmaEngine.write(offset, width, value) : model.write(offset, width, value),
  };
  const regs = new SimRegion(bar, { name, phys: options.phys ?? 0xfea0_0000n });

  const close = (): void => {
    busy.cancel();
    dmaEngine.cancel();
    iommu.freeAll();
    regs.iounmap();
    irq.close();
  };

  const edu = {
    regs,
    irq,
    model,
    iommu,
    dmaEngine,
    config,
    reset() {
      busy.cancel();
      dmaEngine.reset();
      model.reset();
      config.reset();
      irq.setLevel(false);
    },
    close,
    [Symbol.dispose]: close,
  };
  return attachSimBus(edu, iommu, config);
}

/** n! modulo 2^32, as edu's 32-bit computation gives it. From 34 on, 2^32 divides n!, so the result is 0. */
function factorialU32(n: number): number {
  if (n >= 34) return 0;
  let result = 1;
  for (let v = n; v > 0; v--) result = Math.imul(result, v) >>> 0;
  return result;
}
