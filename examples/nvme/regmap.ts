/**
 * The NVMe controller registers (NVM Express Base Specification, "Controller Registers": BAR0 offsets 0x00..0x3f
 * used here) as a register map (lib/regmap): one definition for the driver (typed accessors over BAR0) and the
 * simulated controller (its register model is generated from it). Field names are the specification's.
 *
 * Not in the map: the doorbells. They start at 0x1000 and are spaced by the doorbell stride,
 * `4 << CAP.DSTRD` bytes: SQyTDBL at `0x1000 + (2y) * stride`, CQyHDBL at `0x1000 + (2y + 1) * stride`
 * ({@link sqTailDoorbell}, {@link cqHeadDoorbell}).
 * @module
 */
import { defineRegisterMap } from '../../lib/index.js';

/** The controller registers of BAR0 (see the module description). 4 KiB: the doorbells follow at 0x1000. */
export const NVME_REGMAP = defineRegisterMap({
  name: 'nvme',
  size: 0x1000,
  registers: {
    CAP: {
      offset: 0x00,
      width: 8,
      access: 'ro',
      description: 'Controller Capabilities',
      fields: {
        MQES: { bits: [15, 0], description: 'Maximum Queue Entries Supported, 0-based (2047: 2048 entries)' },
        CQR: { bits: 16, description: 'Contiguous Queues Required' },
        AMS: { bits: [18, 17], description: 'Arbitration Mechanism Supported' },
        TO: { bits: [31, 24], description: 'Timeout: worst-case time for CSTS.RDY to change, in 500 ms units' },
        DSTRD: { bits: [35, 32], description: 'Doorbell Stride: doorbells are 2^(2 + DSTRD) bytes apart' },
        NSSRS: { bits: 36, description: 'NVM Subsystem Reset Supported' },
        CSS: { bits: [44, 37], description: 'Command Sets Supported (bit 0: the NVM command set)' },
        BPS: { bits: 45, description: 'Boot Partition Support' },
        MPSMIN: { bits: [51, 48], description: 'Memory Page Size Minimum: 2^(12 + MPSMIN) bytes' },
        MPSMAX: { bits: [55, 52], description: 'Memory Page Size Maximum: 2^(12 + MPSMAX) bytes' },
        PMRS: { bits: 56, description: 'Persistent Memory Region Supported' },
        CMBS: { bits: 57, description: 'Controller Memory Buffer Supported' },
      },
    },
    VS: {
      offset: 0x08,
      access: 'ro',
      description: 'Version',
      fields: {
        TER: { bits: [7, 0], description: 'Tertiary Version Number' },
        MNR: { bits: [15, 8], description: 'Minor Version Number' },
        MJR: { bits: [31, 16], description: 'Major Version Number' },
      },
    },
    INTMS: { offset: 0x0c, description: 'Interrupt Mask Set (pin-based and MSI only; not used with MSI-X)' },
    INTMC: { offset: 0x10, description: 'Interrupt Mask Clear (pin-based and MSI only; not used with MSI-X)' },
    CC: {
      offset: 0x14,
      description: 'Controller Configuration',
      fields: {
        EN: { bits: 0, description: 'Enable' },
        CSS: { bits: [6, 4], values: { NVM: 0, ADMIN_ONLY: 7 }, description: 'I/O Command Set Selected' },
        MPS: { bits: [10, 7], description: 'Memory Page Size: 2^(12 + MPS) bytes' },
        AMS: { bits: [13, 11], values: { ROUND_ROBIN: 0 }, description: 'Arbitration Mechanism Selected' },
        SHN: { bits: [15, 14], values: { NONE: 0, NORMAL: 1, ABRUPT: 2 }, description: 'Shutdown Notification' },
        IOSQES: { bits: [19, 16], description: 'I/O Submission Queue Entry Size: 2^IOSQES bytes (6: 64)' },
        IOCQES: { bits: [23, 20], description: 'I/O Completion Queue Entry Size: 2^IOCQES bytes (4: 16)' },
      },
    },
    CSTS: {
      offset: 0x1c,
      description: 'Controller Status',
      fields: {
        RDY: { bits: 0, access: 'ro', description: 'Ready' },
        CFS: { bits: 1, access: 'ro', description: 'Controller Fatal Status' },
        SHST: { bits: [3, 2], access: 'ro', values: { NORMAL: 0, OCCURRING: 1, COMPLETE: 2 }, description: 'Shutdown Status' },
        NSSRO: { bits: 4, access: 'w1c', description: 'NVM Subsystem Reset Occurred' },
        PP: { bits: 5, access: 'ro', description: 'Processing Paused' },
      },
    },
    NSSR: { offset: 0x20, description: 'NVM Subsystem Reset: writing 0x4E564D65 ("NVMe") resets the subsystem' },
    AQA: {
      offset: 0x24,
      description: 'Admin Queue Attributes',
      fields: {
        ASQS: { bits: [11, 0], description: 'Admin Submission Queue Size, 0-based' },
        ACQS: { bits: [27, 16], description: 'Admin Completion Queue Size, 0-based' },
      },
    },
    ASQ: {
      offset: 0x28,
      width: 8,
      description: 'Admin Submission Queue Base Address (page aligned)',
      fields: { ASQB: { bits: [63, 12], description: 'Admin Submission Queue Base, bits 63:12 of the address' } },
    },
    ACQ: {
      offset: 0x30,
      width: 8,
      description: 'Admin Completion Queue Base Address (page aligned)',
      fields: { ACQB: { bits: [63, 12], description: 'Admin Completion Queue Base, bits 63:12 of the address' } },
    },
  },
});

/** The type of {@link NVME_REGMAP}'s definition. */
export type NvmeRegmapSpec = (typeof NVME_REGMAP)['spec'];

/** Byte offset of the first doorbell (SQ0TDBL) in BAR0. */
export const NVME_DOORBELL_BASE = 0x1000;

/** The doorbell stride in bytes for a CAP.DSTRD value: `4 << dstrd`. */
export function doorbellStride(dstrd: number): number {
  return 4 << dstrd;
}

/** BAR0 offset of SQyTDBL, the Submission Queue y Tail Doorbell, for stride `stride` bytes. */
export function sqTailDoorbell(qid: number, stride: number): number {
  return NVME_DOORBELL_BASE + 2 * qid * stride;
}

/** BAR0 offset of CQyHDBL, the Completion Queue y Head Doorbell, for stride `stride` bytes. */
export function cqHeadDoorbell(qid: number, stride: number): number {
  return NVME_DOORBELL_BASE + (2 * qid + 1) * stride;
}

/** The value written to NSSR to start an NVM Subsystem Reset ("NVMe" in ASCII). */
export const NVME_NSSR_RESET = 0x4e56_4d65;
