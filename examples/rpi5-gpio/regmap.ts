/**
 * Raspberry Pi 5's header GPIOs, which belong to RP1 (the I/O controller behind PCIe), as `/dev/gpiomem0`
 * maps them (RP1 Peripherals datasheet, chapter 3 "GPIO"): one 0x30000-byte window holding three blocks,
 *   io_bank0    at 0x00000 (physical 0x1f000d0000): GPIOn_STATUS at 8n, GPIOn_CTRL at 8n + 4 (FUNCSEL 4:0)
 *   sys_rio0    at 0x10000 (physical 0x1f000e0000): OUT 0x0, OE 0x4, SYNC_IN 0x8 (software GPIO, "RIO")
 *   pads_bank0  at 0x20000 (physical 0x1f000f0000): VOLTAGE_SELECT 0x0, GPIOn at 4 + 4n
 * Every RP1 register also has atomic aliases in its block: +0x1000 XOR, +0x2000 SET, +0x3000 CLR — a write
 * there flips, sets or clears the bits written and leaves the others, with no read-modify-write (so two
 * processes driving different pins cannot undo each other). The driver (driver.ts) uses them for everything.
 *
 * Reset values here are what the simulated twin starts with (FUNCSEL 0x1f = NULL; pads output-disabled,
 * input-disabled, pulled down). The firmware configures pins at boot, so a driver sets every field it
 * relies on and assumes no reset state.
 * @module
 */
import { defineRegisterMap } from '../../lib/index.js';

/** The device file (group `gpio` on Raspberry Pi OS). rpi-gpiomem refuses mappings shorter than the window. */
export const RP1_GPIOMEM = '/dev/gpiomem0';
/** Bytes /dev/gpiomem0 maps: io_bank0, sys_rio0, pads_bank0, 64 KiB each. */
export const RP1_GPIO_WINDOW = 0x30000;
/** Physical address of io_bank0 (the window's start), for `ioremap` through /dev/mem instead. */
export const RP1_IO_BANK0_PHYS = 0x1f_000d_0000n;
/** Header GPIOs of bank 0. */
export const RP1_GPIO_COUNT = 28;

/** Offsets, from a register, of its atomic aliases. */
export const RP1_ALIAS = { XOR: 0x1000, SET: 0x2000, CLR: 0x3000 } as const;

const IO_BANK0 = 0x00000;
const SYS_RIO0 = 0x10000;
const PADS_BANK0 = 0x20000;

type Pin = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17 | 18 | 19 | 20 | 21 | 22 | 23 | 24 | 25 | 26 | 27;

/** One register per header pin, named `GPIO<n>_<suffix>` (typed: `GPIO17_CTRL` exists, `GPIO28_CTRL` does not). */
function perPin<const Suffix extends string, const Spec extends object>(
  suffix: Suffix,
  offsetOf: (pin: number) => number,
  spec: Spec,
): { [P in Pin as `GPIO${P}_${Suffix}`]: Spec & { offset: number } } {
  const out: Record<string, unknown> = {};
  for (let pin = 0; pin < RP1_GPIO_COUNT; pin++) out[`GPIO${pin}_${suffix}`] = { ...spec, offset: offsetOf(pin) };
  return out as { [P in Pin as `GPIO${P}_${Suffix}`]: Spec & { offset: number } };
}

const CTRL = {
  reset: 0x1f,
  fields: { FUNCSEL: { bits: [4, 0], values: { SYS_RIO: 5, NULL: 0x1f } } },
} as const;

// Pad control: the layout of the Raspberry Pi silicon's pads (RP1 pads_bank0).
const PAD = {
  reset: 0x94, // OD, DRIVE 4 mA, PDE (the twin's start; see the module description)
  fields: {
    SLEWFAST: { bits: 0 },
    SCHMITT: { bits: 1 },
    PDE: { bits: 2 },
    PUE: { bits: 3 },
    DRIVE: { bits: [5, 4], values: { '2mA': 0, '4mA': 1, '8mA': 2, '12mA': 3 } },
    IE: { bits: 6 },
    OD: { bits: 7 },
  },
} as const;

/** The /dev/gpiomem0 window's registers (offsets in bytes from its start; all 32-bit). */
export const RP1_GPIO = defineRegisterMap({
  name: 'rp1-gpio',
  size: RP1_GPIO_WINDOW,
  registers: {
    ...perPin('CTRL', (pin) => IO_BANK0 + 8 * pin + 4, CTRL),
    RIO_OUT: { offset: SYS_RIO0 + 0x0 },
    RIO_OE: { offset: SYS_RIO0 + 0x4 },
    RIO_SYNC_IN: { offset: SYS_RIO0 + 0x8, access: 'ro' },
    PADS_VOLTAGE_SELECT: { offset: PADS_BANK0 + 0x0, fields: { VOLTAGE: { bits: 0, values: { '3V3': 0, '1V8': 1 } } } },
    ...perPin('PAD', (pin) => PADS_BANK0 + 4 + 4 * pin, PAD),
  },
});

/** The register name of a pin's CTRL or PAD register. */
export const ctrlOf = (pin: number) => `GPIO${pin as Pin}_CTRL` as const;
export const padOf = (pin: number) => `GPIO${pin as Pin}_PAD` as const;
