/**
 * The register map of QEMU's `edu` PCI device (PCI 1234:11e8; QEMU docs/specs/edu.rst, hw/misc/edu.c), BAR0:
 * one definition shared by the example driver (examples/edu/driver.ts) and the simulated edu
 * (lib/sim/edu.ts, generated from it), so the two cannot disagree on the layout.
 *
 * Every register is 32 bits wide; edu answers only 32-bit (and 64-bit) accesses to them. Not in the map: the DMA
 * registers (0x80 source, 0x88 destination, 0x90 count, 0x98 command, 64 bits each; the simulated edu stores
 * them as plain read/write registers) and the DMA buffer at 0x40000.
 * @module
 */
import { defineRegisterMap } from './map.js';

/** edu's BAR0 registers, with their fields (see the module description). */
export const EDU_REGMAP = defineRegisterMap({
  name: 'edu',
  size: 0x10_0000,
  registers: {
    ID: {
      offset: 0x00,
      access: 'ro',
      reset: 0x0100_00ed,
      description: 'identification, 0xRRrr00ed: major RR, minor rr',
      fields: {
        MAGIC: { bits: [15, 0], description: 'always 0x00ed', values: { EDU: 0x00ed } },
        MINOR: { bits: [23, 16] },
        MAJOR: { bits: [31, 24] },
      },
    },
    LIVENESS: { offset: 0x04, description: 'card liveness check: reads back the bitwise NOT of the last value written' },
    FACTORIAL: { offset: 0x08, description: 'write n; once STATUS.COMPUTING clears it reads n! (modulo 2^32)' },
    STATUS: {
      offset: 0x20,
      description: 'status; bits other than 0 and 7 are reserved',
      fields: {
        COMPUTING: { bits: 0, access: 'ro', description: 'a factorial is being computed' },
        IRQ_FACTORIAL: { bits: 7, description: 'raise IRQ_STATUS.FACTORIAL when a factorial is done' },
      },
    },
    IRQ_STATUS: {
      offset: 0x24,
      access: 'ro',
      description: 'interrupt status: the bits raised (by the device or through IRQ_RAISE) and not yet acknowledged',
      fields: {
        FACTORIAL: { bits: 0, description: 'a factorial is done (with STATUS.IRQ_FACTORIAL set)' },
        DMA: { bits: 8, description: 'a DMA transfer is done' },
      },
    },
    IRQ_RAISE: { offset: 0x60, access: 'wo', description: 'ORs the value written into IRQ_STATUS and asserts the interrupt' },
    IRQ_ACK: { offset: 0x64, access: 'wo', description: 'clears the bits written from IRQ_STATUS; deasserts when it becomes 0' },
  },
});

/** The type of {@link EDU_REGMAP}'s definition, for typed helpers (`RegisterName<EduRegmapSpec>` …). */
export type EduRegmapSpec = (typeof EDU_REGMAP)['spec'];
