/**
 * The arm64 and armv7 guests (test/vm-arm64/run.sh, MMIO_VM_ARM_ARCH=arm for armv7): QEMU virt's PL061 GPIO and PL031 RTC, made generic-uio devices in
 * the device tree and bound to uio_pdrv_genirq, read through the library on Debian's arm64 (armmp) kernel with
 * the arm64 (armv7) prebuild. Run by `npm run test:vm:arm64` (bundled into a node:test file by test/arm/bundle-tests.mjs).
 * Anywhere else every test fails with a message saying so: they never skip silently. Named *.hw-arm64.ts, not
 * *.test.ts, so the default vitest suite on the host does not pick it up.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ioremap, listUioDevices, openUio, pageSize, type IoRegion, type UioDeviceInfo } from '../../lib/index.js';
import { addon } from '../../lib/linux/addon.js';

const PL061 = 0x0903_0000n;
const PL031 = 0x0901_0000n;
const PL011 = 0x0900_0000n; // the console UART, claimed by its driver (amba-pl011)

// PrimeCell identification: PeriphID0..3 at 0xFE0..0xFEC, PCellID0..3 at 0xFF0..0xFFC (one byte each,
// in the low 8 bits of a 32-bit register).
const PCELL_ID = [0x0d, 0xf0, 0x05, 0xb1];
const PERIPH_ID: Record<string, number[]> = { pl061: [0x61, 0x10, 0x04, 0x00], pl031: [0x31, 0x10, 0x14, 0x00] };

function device(name: string): UioDeviceInfo {
  if (process.env.MMIO_VM !== 'aarch64' && process.env.MMIO_VM !== 'armv7') {
    throw new Error('HARDWARE TEST CANNOT RUN HERE: run it in the arm64 or armv7 guest (npm run test:vm:arm64, test:vm:armv7)');
  }
  const d = listUioDevices().find((u) => u.name === name);
  if (!d) throw new Error(`no UIO device named ${name}: the guest's device tree should make it generic-uio`);
  return d;
}

/** Every ID register through every width this device answers: 32-bit (the register), and the low byte and
 * half-word at the register's address (QEMU's PrimeCell models take 8/16-bit reads of their 32-bit registers). */
function expectIds(r: IoRegion, name: string): void {
  // arm64 (V8 13.6): the _relaxed reads go through the Wasm window, an `ldar` on the device's memory; armv7: native
  const path = (r as { accessPath?: string }).accessPath ?? 'NativeRegion';
  expect(path).toBe(process.arch === 'arm64' ? 'Wasm window for the _relaxed forms (+ JS bounds check)' : 'NativeRegion');
  const want = [...PERIPH_ID[name], ...PCELL_ID];
  const offsets = [0xfe0, 0xfe4, 0xfe8, 0xfec, 0xff0, 0xff4, 0xff8, 0xffc];
  expect(offsets.map((o) => r.readl(o))).toEqual(want);
  expect(offsets.map((o) => r.readl_relaxed(o))).toEqual(want);
  expect(offsets.map((o) => r.ioread32(o))).toEqual(want);
  expect(offsets.map((o) => r.readw(o) & 0xff)).toEqual(want);
  expect(offsets.map((o) => r.readb(o))).toEqual(want);
  // 64-bit: two ID registers in one access (little-endian)
  expect(r.readq(0xff0)).toBe(BigInt(PCELL_ID[0]) | (BigInt(PCELL_ID[1]) << 32n));
}

describe('arm64 guest: PrimeCell devices through UIO and /dev/mem', () => {
  it('runs the prebuild for the kernel architecture; the page size comes from sysconf', () => {
    device('pl061');
    const arch = process.env.MMIO_VM === 'aarch64' ? 'arm64' : 'arm';
    expect(process.arch).toBe(arch);
    expect(addon().arch).toBe(arch);
    const smaps = readFileSync('/proc/self/smaps', 'utf8');
    const kernelPage = Number(/KernelPageSize:\s+(\d+) kB/.exec(smaps)?.[1]) * 1024;
    expect(pageSize()).toBe(kernelPage);
    expect(addon().pageSize).toBe(kernelPage);
  });

  it('finds the UIO devices by name, with their map from the device tree', () => {
    const gpio = device('pl061');
    const rtc = device('pl031');
    expect(gpio.version).toBe('devicetree');
    expect(gpio.maps[0]).toMatchObject({ index: 0, addr: PL061, size: 0x1000 });
    expect(rtc.maps[0]).toMatchObject({ index: 0, addr: PL031, size: 0x1000 });
    expect(gpio.number).not.toBe(rtc.number);
  });

  for (const name of ['pl061', 'pl031']) {
    it(`${name}: PeriphID and PCellID through the UIO map, every width`, () => {
      const uio = openUio(device(name).number);
      try {
        expectIds(uio.map(0), name);
      } finally {
        uio.close();
      }
    });

    it(`${name}: the same through /dev/mem`, () => {
      const r = ioremap(name === 'pl061' ? PL061 : PL031, 0x1000);
      try {
        expectIds(r, name);
      } finally {
        r.iounmap();
      }
    });
  }

  it('PL031 RTCDR (0x000) counts seconds', async () => {
    const uio = openUio('pl031');
    try {
      const r = uio.map(0);
      const t0 = r.readl(0);
      await new Promise((res) => setTimeout(res, 2100));
      const t1 = r.readl(0);
      expect(t1 - t0).toBeGreaterThanOrEqual(1);
      expect(t1 - t0).toBeLessThanOrEqual(4);
    } finally {
      uio.close();
    }
  });

  it('/dev/mem over the PL011 (claimed by its driver) is refused: EPERM with the IO_STRICT_DEVMEM hint', () => {
    let err: unknown;
    try {
      ioremap(PL011, 0x1000).iounmap();
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'EPERM' });
    expect((err as { hint?: string }).hint).toMatch(/IO_STRICT_DEVMEM/);
  });
});

// --- a real interrupt: PL061 GPIO line 3, pulsed by QEMU's system_powerdown --------------------------------
const GPIODIR = 0x400, GPIOIS = 0x404, GPIOIBE = 0x408, GPIOIEV = 0x40c, GPIOIE = 0x410, GPIORIS = 0x414, GPIOMIS = 0x418, GPIOIC = 0x41c;
const LINE3 = 1 << 3;

/** Asks the host (test/vm-arm64/run.sh) to send system_powerdown to QEMU's monitor. */
function pulseGpio3(): void {
  if (!existsSync('/run/mmio-vm')) throw new Error('no /run/mmio-vm: not in the arm64 guest');
  writeFileSync('/run/mmio-vm/powerdown', '1');
}

describe('arm64 guest: a PL061 interrupt through the UIO interrupt API', () => {
  it('arrives through wait(), is acknowledged at GPIOIC and unmasked through irqcontrol, twice', async () => {
    const uio = openUio('pl061');
    try {
      const r = uio.map(0);
      // line 3 an input, edge-triggered on the rising edge, enabled; nothing pending
      r.writel(r.readl(GPIODIR) & ~LINE3, GPIODIR);
      r.writel(r.readl(GPIOIS) & ~LINE3, GPIOIS);
      r.writel(r.readl(GPIOIBE) & ~LINE3, GPIOIBE);
      r.writel(r.readl(GPIOIEV) | LINE3, GPIOIEV);
      r.writel(0xff, GPIOIC);
      r.writel(LINE3, GPIOIE);
      expect(r.readl(GPIOMIS)).toBe(0);
      uio.irq.unmask(); // irqcontrol: write int32 1 to /dev/uioN (uio_pdrv_genirq)

      let last: number | undefined;
      for (let round = 0; round < 2; round++) {
        const waiting = uio.irq.wait({ timeoutMs: 20_000 });
        pulseGpio3();
        const event = await waiting;
        expect(r.readl(GPIORIS) & LINE3).toBe(LINE3);
        expect(r.readl(GPIOMIS)).toBe(LINE3);
        r.writel(LINE3, GPIOIC); // acknowledge
        expect(r.readl(GPIOMIS)).toBe(0);
        uio.irq.unmask();
        expect(event.missed).toBe(0);
        if (last !== undefined) expect(event.count).toBe(last + 1);
        last = event.count;
        // the pulse ends (the line falls) before the next one: wait until the host has sent it
        while (existsSync('/run/mmio-vm/powerdown')) await new Promise((res) => setTimeout(res, 50));
        await new Promise((res) => setTimeout(res, 300));
      }
      expect(device('pl061').event).toBe(last);
      r.writel(0, GPIOIE);
    } finally {
      uio.close();
    }
  });
});
