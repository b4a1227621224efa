/**
 * A GPIO driver for Raspberry Pi 5's header pins (RP1 through /dev/gpiomem0), written against
 * {@link IoRegion} only. Every change is one write to an atomic alias (SET/CLR of the register, see
 * regmap.ts), never a read-modify-write, as Linux's pinctrl-rp1 does it.
 * @module
 */
import { type IoRegion } from '../../lib/index.js';
import { ctrlOf, padOf, RP1_ALIAS, RP1_GPIO, RP1_GPIO_COUNT } from './regmap.js';

/** @throws RangeError `ERR_OUT_OF_RANGE` for a pin that is not 0–27. */
function checkPin(pin: number): void {
  if (Number.isInteger(pin) && pin >= 0 && pin < RP1_GPIO_COUNT) return;
  const err = new RangeError(`pin must be an integer 0..${RP1_GPIO_COUNT - 1}, got ${pin}`) as RangeError & { code: string };
  err.code = 'ERR_OUT_OF_RANGE';
  throw err;
}

type RegisterName = Parameters<typeof RP1_GPIO.offset>[0];

/** RP1 bank 0 (the header GPIOs) through RIO. Pins 0–27; methods throw `ERR_OUT_OF_RANGE` for others. */
export class Rp1Gpio {
  readonly #region: IoRegion;
  readonly #regs;

  /** @param region the /dev/gpiomem0 window: `mapFile('/dev/gpiomem0', 0, 0x30000)`, or the twin. */
  constructor(region: IoRegion) {
    this.#region = region;
    this.#regs = RP1_GPIO.attach(region);
  }

  /** Set `bits` of `reg` through its SET alias (one writel). */
  #set(reg: RegisterName, bits: number): void {
    this.#region.writel(bits >>> 0, RP1_GPIO.offset(reg) + RP1_ALIAS.SET);
  }
  /** Clear `bits` of `reg` through its CLR alias (one writel). */
  #clear(reg: RegisterName, bits: number): void {
    this.#region.writel(bits >>> 0, RP1_GPIO.offset(reg) + RP1_ALIAS.CLR);
  }

  /** Hand the pin to RIO (FUNCSEL = SYS_RIO) as an output: pad output and input enabled, RIO OE set. */
  setOutput(pin: number): void {
    checkPin(pin);
    this.#selectRio(pin);
    this.#clear(padOf(pin), RP1_GPIO.mask(padOf(pin), 'OD'));
    this.#set(padOf(pin), RP1_GPIO.mask(padOf(pin), 'IE'));
    this.#set('RIO_OE', 1 << pin);
  }

  /** Hand the pin to RIO as an input: RIO OE cleared, pad input enabled; `pull` sets PUE/PDE. */
  setInput(pin: number, pull: 'none' | 'up' | 'down' = 'none'): void {
    checkPin(pin);
    this.#selectRio(pin);
    this.#clear('RIO_OE', 1 << pin);
    const pad = padOf(pin);
    const [pue, pde] = [RP1_GPIO.mask(pad, 'PUE'), RP1_GPIO.mask(pad, 'PDE')];
    this.#clear(pad, pue | pde);
    if (pull !== 'none') this.#set(pad, pull === 'up' ? pue : pde);
    this.#set(pad, RP1_GPIO.mask(pad, 'IE'));
  }

  #selectRio(pin: number): void {
    const ctrl = ctrlOf(pin);
    // FUNCSEL is a 5-bit field: clear it, then set SYS_RIO's bits (two alias writes, no read).
    this.#clear(ctrl, RP1_GPIO.mask(ctrl, 'FUNCSEL'));
    this.#set(ctrl, RP1_GPIO.prep(ctrl, { FUNCSEL: 'SYS_RIO' }));
  }

  /** Drive an output: RIO OUT through SET or CLR. */
  write(pin: number, high: boolean): void {
    checkPin(pin);
    if (high) this.#set('RIO_OUT', 1 << pin);
    else this.#clear('RIO_OUT', 1 << pin);
  }

  /** Flip an output: RIO OUT through XOR. */
  toggle(pin: number): void {
    checkPin(pin);
    this.#region.writel((1 << pin) >>> 0, RP1_GPIO.offset('RIO_OUT') + RP1_ALIAS.XOR);
  }

  /** A pin's level, from RIO SYNC_IN. */
  read(pin: number): boolean {
    checkPin(pin);
    return ((this.#regs.read('RIO_SYNC_IN') >>> pin) & 1) === 1;
  }

  /** The pin's function select, as its name where the map has one. */
  functionOf(pin: number): string | number {
    checkPin(pin);
    const v = this.#regs.readField(ctrlOf(pin), 'FUNCSEL');
    return RP1_GPIO.valueName(ctrlOf(pin), 'FUNCSEL', v) ?? v;
  }
}
