/**
 * A GPIO driver for one AM335x GPIO module (BeagleBone Black's GPIO1 and its user LEDs), written against
 * {@link IoRegion} only. Levels change through SETDATAOUT / CLEARDATAOUT (one write, no read-modify-write of
 * DATAOUT, as Linux's gpio-omap does); direction is GPIO_OE, one read-modify-write.
 * @module
 */
import { type IoRegion } from '../../lib/index.js';
import { AM335X_GPIO } from './regmap.js';

/** @throws RangeError `ERR_OUT_OF_RANGE` for a line that is not 0–31. */
function checkLine(line: number): void {
  if (Number.isInteger(line) && line >= 0 && line < 32) return;
  const err = new RangeError(`line must be an integer 0..31, got ${line}`) as RangeError & { code: string };
  err.code = 'ERR_OUT_OF_RANGE';
  throw err;
}

const bit = (line: number) => (1 << line) >>> 0;

/** One AM335x GPIO module: direction and level of its 32 lines; methods throw `ERR_OUT_OF_RANGE` for others. */
export class Am335xGpio {
  readonly #regs;

  /** @param region a GPIO module: `ioremap(0x4804c000n, 0x1000)` (root), a UIO map of it, or the twin. */
  constructor(region: IoRegion) {
    this.#regs = AM335X_GPIO.attach(region);
  }

  /** GPIO_REVISION: identifies the module (and fails with EFAULT if its clock is off). */
  revision(): number {
    return this.#regs.read('GPIO_REVISION');
  }

  /** Make a line an output (its OE bit 0) or an input (1). */
  setDirection(line: number, direction: 'in' | 'out'): void {
    checkLine(line);
    this.#regs.updateBits('GPIO_OE', bit(line), direction === 'in' ? bit(line) : 0);
  }

  /** Drive an output line: SETDATAOUT or CLEARDATAOUT. */
  write(line: number, high: boolean): void {
    checkLine(line);
    this.#regs.write(high ? 'GPIO_SETDATAOUT' : 'GPIO_CLEARDATAOUT', bit(line));
  }

  /** A line's level, from GPIO_DATAIN. */
  read(line: number): boolean {
    checkLine(line);
    return (this.#regs.read('GPIO_DATAIN') & bit(line)) !== 0;
  }
}
