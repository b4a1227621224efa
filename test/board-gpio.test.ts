/**
 * The board examples (examples/rpi4-gpio, rpi5-gpio, bbb-gpio): each driver against its simulated twin, with
 * the exact bus accesses it makes (traceRegion), the register offsets checked against the vendors' datasheets
 * (BCM2711 ARM Peripherals ch. 5, RP1 Peripherals ch. 3, AM335x TRM ch. 25), and each `run.js --sim` as a
 * user runs it.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { traceRegion, withoutTime, type TraceEntry } from '../lib/index.js';
import { Bcm2711Gpio } from '../examples/rpi4-gpio/driver.js';
import { BCM2711_GPIO } from '../examples/rpi4-gpio/regmap.js';
import { createSimBcm2711Gpio } from '../examples/rpi4-gpio/sim.js';
import { Rp1Gpio } from '../examples/rpi5-gpio/driver.js';
import { RP1_ALIAS, RP1_GPIO } from '../examples/rpi5-gpio/regmap.js';
import { createSimRp1Gpio } from '../examples/rpi5-gpio/sim.js';
import { Am335xGpio } from '../examples/bbb-gpio/driver.js';
import { AM335X_GPIO } from '../examples/bbb-gpio/regmap.js';
import { createSimAm335xGpio } from '../examples/bbb-gpio/sim.js';

const accesses = (trace: TraceEntry[]) => withoutTime(trace).map((e) => `${e.op} 0x${e.offset.toString(16)}=0x${e.value.toString(16)}`);

function runExample(board: string): string {
  const script = fileURLToPath(new URL(`../dist/examples/${board}/run.js`, import.meta.url));
  const r = spawnSync(process.execPath, [script, '--sim'], { encoding: 'utf8', timeout: 30_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('Raspberry Pi 4 (BCM2711) GPIO', () => {
  it('offsets as in the datasheet', () => {
    const offsets = Object.fromEntries(BCM2711_GPIO.registerNames.map((n) => [n, BCM2711_GPIO.offset(n)]));
    expect(offsets).toMatchObject({ GPFSEL0: 0x00, GPFSEL1: 0x04, GPFSEL5: 0x14, GPSET0: 0x1c, GPSET1: 0x20, GPCLR0: 0x28, GPCLR1: 0x2c, GPLEV0: 0x34, GPLEV1: 0x38, GPIO_PUP_PDN_CNTRL_REG0: 0xe4, GPIO_PUP_PDN_CNTRL_REG3: 0xf0 });
  });

  it('GPIO 17 as an output: FSEL17 in GPFSEL1 bits 23:21; GPSET0/GPCLR0 single-bit writes; GPLEV0 follows', () => {
    const twin = createSimBcm2711Gpio();
    const trace: TraceEntry[] = [];
    const gpio = new Bcm2711Gpio(traceRegion(twin.region, trace));
    twin.region.writel((0b011 << 18) | (0b111 << 21), 0x04); // GPIO16 ALT4 must survive; GPIO17 was ALT3
    gpio.setFunction(17, 'OUTPUT');
    gpio.write(17, true);
    expect(gpio.read(17)).toBe(true);
    gpio.write(17, false);
    expect(gpio.read(17)).toBe(false);
    expect(accesses(trace)).toEqual([
      'read 0x4=0xec0000',
      'write 0x4=0x2c0000',
      'write 0x1c=0x20000',
      'read 0x34=0x20000',
      'write 0x28=0x20000',
      'read 0x34=0x0',
    ]);
    expect(gpio.getFunction(17)).toBe('OUTPUT');
    expect(gpio.getFunction(16)).toBe('ALT4'); // 0b011 in bits 20:18 was kept
  });

  it('inputs: the pull decides unless something drives the pin; pins above 31 use the second bank', () => {
    const twin = createSimBcm2711Gpio();
    const gpio = new Bcm2711Gpio(twin.region);
    gpio.setFunction(40, 'INPUT');
    expect(gpio.read(40)).toBe(false);
    gpio.setPull(40, 'up');
    expect(twin.region.readl(0xec)).toBe(0b01 << 16); // REG2 (0xec) covers 32..47: pin 40 at bits 17:16
    expect(gpio.read(40)).toBe(true);
    twin.drive(40, false);
    expect(gpio.read(40)).toBe(false);
    gpio.setFunction(40, 'OUTPUT');
    gpio.write(40, true);
    expect(twin.region.readl(0x38)).toBe(1 << 8);
    expect(() => gpio.write(58, true)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('run.js --sim blinks GPIO 17', () => {
    expect(runExample('rpi4-gpio')).toBe('GPIO17 high: reads 1\nGPIO17 low: reads 0\n'.repeat(3));
  });
});

describe('Raspberry Pi 5 (RP1) GPIO through /dev/gpiomem0', () => {
  it('offsets in the /dev/gpiomem0 window as in the datasheet', () => {
    expect(RP1_GPIO.offset('GPIO0_CTRL')).toBe(0x4);
    expect(RP1_GPIO.offset('GPIO17_CTRL')).toBe(0x8c);
    expect(RP1_GPIO.offset('RIO_OUT')).toBe(0x10000);
    expect(RP1_GPIO.offset('RIO_OE')).toBe(0x10004);
    expect(RP1_GPIO.offset('RIO_SYNC_IN')).toBe(0x10008);
    expect(RP1_GPIO.offset('GPIO17_PAD')).toBe(0x20048);
    expect(RP1_ALIAS).toEqual({ XOR: 0x1000, SET: 0x2000, CLR: 0x3000 });
    expect(RP1_GPIO.mask('GPIO17_PAD', 'IE')).toBe(1 << 6);
    expect(RP1_GPIO.mask('GPIO17_PAD', 'OD')).toBe(1 << 7);
  });

  it('GPIO 17 as an output: only writes to the atomic aliases, never a read-modify-write', () => {
    const twin = createSimRp1Gpio();
    const trace: TraceEntry[] = [];
    const gpio = new Rp1Gpio(traceRegion(twin.region, trace));
    gpio.setOutput(17);
    gpio.write(17, true);
    gpio.write(17, false);
    gpio.toggle(17);
    expect(accesses(trace)).toEqual([
      'write 0x308c=0x1f', // GPIO17_CTRL CLR: FUNCSEL
      'write 0x208c=0x5', // GPIO17_CTRL SET: SYS_RIO
      'write 0x23048=0x80', // pad CLR: OD
      'write 0x22048=0x40', // pad SET: IE
      'write 0x12004=0x20000', // RIO OE SET
      'write 0x12000=0x20000', // RIO OUT SET
      'write 0x13000=0x20000', // RIO OUT CLR
      'write 0x11000=0x20000', // RIO OUT XOR
    ]);
    expect(twin.model.get('GPIO17_CTRL')).toBe(5);
    expect(twin.model.get('RIO_OUT')).toBe(1 << 17);
    expect(gpio.read(17)).toBe(true);
    expect(gpio.functionOf(17)).toBe('SYS_RIO');
  });

  it('the twin: aliases leave other bits alone; the pad must be input-enabled to read; pulls', () => {
    const twin = createSimRp1Gpio();
    const gpio = new Rp1Gpio(twin.region);
    twin.region.writel(0b1010, 0x10000); // RIO OUT, plain write
    twin.region.writel(0b0110, 0x12000); // SET
    twin.region.writel(0b0011, 0x13000); // CLR
    twin.region.writel(0b1001, 0x11000); // XOR
    expect(twin.model.get('RIO_OUT')).toBe(((0b1010 | 0b0110) & ~0b0011) ^ 0b1001);
    twin.region.writel(0xffff_ffff, 0x12008); // SYNC_IN is read-only, also through its alias
    expect(twin.region.readl(0x10008)).toBe(0);
    twin.drive(5, true);
    expect(gpio.read(5)).toBe(false); // pad IE clear at reset
    gpio.setInput(5);
    expect(gpio.read(5)).toBe(true);
    twin.drive(5, undefined);
    gpio.setInput(5, 'up');
    expect(gpio.read(5)).toBe(true);
    gpio.setInput(5, 'down');
    expect(gpio.read(5)).toBe(false);
    expect(() => gpio.setOutput(28)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('run.js --sim toggles GPIO 17', () => {
    expect(runExample('rpi5-gpio')).toBe('GPIO17 high\nGPIO17 low\n'.repeat(3));
  });
});

describe('BeagleBone Black (AM335x) GPIO1', () => {
  it('offsets as in the TRM', () => {
    const offsets = Object.fromEntries(AM335X_GPIO.registerNames.map((n) => [n, AM335X_GPIO.offset(n)]));
    expect(offsets).toMatchObject({ GPIO_REVISION: 0x000, GPIO_OE: 0x134, GPIO_DATAIN: 0x138, GPIO_DATAOUT: 0x13c, GPIO_CLEARDATAOUT: 0x190, GPIO_SETDATAOUT: 0x194 });
  });

  it('USR3 (GPIO1_24): OE read-modify-write once, then SETDATAOUT/CLEARDATAOUT single writes', () => {
    const twin = createSimAm335xGpio();
    const trace: TraceEntry[] = [];
    const gpio = new Am335xGpio(traceRegion(twin.region, trace));
    gpio.setDirection(24, 'out');
    gpio.write(24, true);
    expect(gpio.read(24)).toBe(true);
    gpio.write(24, false);
    expect(gpio.read(24)).toBe(false);
    expect(accesses(trace)).toEqual([
      'read 0x134=0xffffffff',
      'write 0x134=0xfeffffff',
      'write 0x194=0x1000000',
      'read 0x138=0x1000000',
      'write 0x190=0x1000000',
      'read 0x138=0x0',
    ]);
  });

  it('inputs read the outside world; SETDATAOUT on one line leaves the others', () => {
    const twin = createSimAm335xGpio();
    const gpio = new Am335xGpio(twin.region);
    twin.drive(3, true);
    expect(gpio.read(3)).toBe(true);
    gpio.setDirection(21, 'out');
    gpio.setDirection(22, 'out');
    gpio.write(21, true);
    gpio.write(22, true);
    gpio.write(21, false);
    expect(twin.model.get('GPIO_DATAOUT')).toBe(1 << 22);
    expect(() => gpio.read(32)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('run.js --sim blinks USR3', () => {
    expect(runExample('bbb-gpio')).toBe('GPIO1 revision 0x50600801\n' + 'USR3 on: DATAIN bit 1\nUSR3 off: DATAIN bit 0\n'.repeat(3));
  });
});
