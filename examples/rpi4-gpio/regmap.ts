/**
 * Raspberry Pi 4's GPIO block (BCM2711 ARM Peripherals, chapter 5 "General Purpose I/O"): bus address
 * 0x7E200000, seen by the ARM cores at physical 0xFE200000 (low-peripheral mode); `/dev/gpiomem` maps exactly
 * this 4 KiB block from its start, without root (group `gpio` on Raspberry Pi OS).
 *
 * 32-bit registers. GPFSEL0–5: 3 bits per pin (pin p at GPFSEL[p / 10], bits 3·(p % 10) + 2 .. 3·(p % 10));
 * GPSET0/1 and GPCLR0/1: write ones to drive pins high/low, zeros do nothing; GPLEV0/1: the pins' levels;
 * GPIO_PUP_PDN_CNTRL_REG0–3 (new in BCM2711): 2 bits per pin (00 none, 01 pull-up, 10 pull-down).
 * The per-pin fields are arithmetic (as in Linux's pinctrl-bcm2835), so the map names registers, not 58 pins.
 * @module
 */
import { defineRegisterMap } from '../../lib/index.js';

/** Physical address of the GPIO block on BCM2711 (Pi 4, Pi 400, CM4), for `ioremap` through /dev/mem. */
export const BCM2711_GPIO_PHYS = 0xfe20_0000n;
/** The device file that maps the block without root. */
export const BCM2711_GPIOMEM = '/dev/gpiomem';
/** Bytes of the block (what /dev/gpiomem maps). */
export const BCM2711_GPIO_SIZE = 0x1000;
/** GPIO lines of the BCM2711 (0–57; the 40-pin header carries 0–27). */
export const BCM2711_GPIO_COUNT = 58;

/** GPFSEL function codes (BCM2711 table 5-2: note ALT4/ALT5 are 3 and 2). */
export const FSEL = { INPUT: 0b000, OUTPUT: 0b001, ALT0: 0b100, ALT1: 0b101, ALT2: 0b110, ALT3: 0b111, ALT4: 0b011, ALT5: 0b010 } as const;
export type GpioFunction = keyof typeof FSEL;

/** GPIO_PUP_PDN_CNTRL codes. */
export const PULL = { none: 0b00, up: 0b01, down: 0b10 } as const;
export type GpioPull = keyof typeof PULL;

/** The block's registers (offsets in bytes from the block's start; all 32-bit). */
export const BCM2711_GPIO = defineRegisterMap({
  name: 'bcm2711-gpio',
  size: BCM2711_GPIO_SIZE,
  registers: {
    GPFSEL0: { offset: 0x00 },
    GPFSEL1: { offset: 0x04 },
    GPFSEL2: { offset: 0x08 },
    GPFSEL3: { offset: 0x0c },
    GPFSEL4: { offset: 0x10 },
    GPFSEL5: { offset: 0x14 },
    GPSET0: { offset: 0x1c, access: 'wo' },
    GPSET1: { offset: 0x20, access: 'wo' },
    GPCLR0: { offset: 0x28, access: 'wo' },
    GPCLR1: { offset: 0x2c, access: 'wo' },
    GPLEV0: { offset: 0x34, access: 'ro' },
    GPLEV1: { offset: 0x38, access: 'ro' },
    GPIO_PUP_PDN_CNTRL_REG0: { offset: 0xe4 },
    GPIO_PUP_PDN_CNTRL_REG1: { offset: 0xe8 },
    GPIO_PUP_PDN_CNTRL_REG2: { offset: 0xec },
    GPIO_PUP_PDN_CNTRL_REG3: { offset: 0xf0 },
  },
});

/** The register of each bank of pins: GPFSEL[p / 10], GPSET/GPCLR/GPLEV[p / 32], PUP_PDN[p / 16]. */
export const GPFSEL = ['GPFSEL0', 'GPFSEL1', 'GPFSEL2', 'GPFSEL3', 'GPFSEL4', 'GPFSEL5'] as const;
export const GPSET = ['GPSET0', 'GPSET1'] as const;
export const GPCLR = ['GPCLR0', 'GPCLR1'] as const;
export const GPLEV = ['GPLEV0', 'GPLEV1'] as const;
export const PUP_PDN = ['GPIO_PUP_PDN_CNTRL_REG0', 'GPIO_PUP_PDN_CNTRL_REG1', 'GPIO_PUP_PDN_CNTRL_REG2', 'GPIO_PUP_PDN_CNTRL_REG3'] as const;
