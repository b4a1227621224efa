/**
 * The hostile cases that need the device backends (UIO on the real edu in the QEMU guest): interrupt waits
 * validated against the one documented range (MAX_WAIT_MS) and honoured; an interrupt raised while the line is
 * masked is delivered once after unmask (not lost, no storm: the kernel's count rises by exactly one and it
 * never disables the line); mapFile of device nodes that cannot map; the native atomic poll on device memory.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDU_REG_IRQ_ACK, EDU_REG_IRQ_RAISE, EDU_REG_IRQ_STATUS } from '../../examples/edu/driver.js';
import { MAX_BUSY_POLL_US, MAX_REGION_BYTES, MAX_WAIT_MS, mapFile, openUio, type IoRegion, type UioDevice } from '../../lib/index.js';
import { findEduHardware } from './edu-hw.js';

let uio: UioDevice;
let regs: IoRegion;
const eventCount = () => Number(readFileSync(`${uio.info.sysfsPath}/event`, 'utf8'));
const kernelLog = () => {
  try {
    return execFileSync('dmesg', { encoding: 'utf8' });
  } catch {
    return readFileSync('/dev/kmsg', { encoding: 'utf8', flag: 'r' });
  }
};

beforeAll(() => {
  uio = openUio(findEduHardware().uio.number);
  regs = uio.map(0);
});
afterAll(() => uio?.close());

describe('hostile inputs on the device backends (guest)', () => {
  it('irq.wait: timeoutMs beyond MAX_WAIT_MS, of the wrong type, or options not an object: typed errors', async () => {
    await expect(uio.irq.wait({ timeoutMs: 2 ** 31 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(uio.irq.wait({ timeoutMs: MAX_WAIT_MS + 1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(uio.irq.wait({ timeoutMs: '50' as unknown as number })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(uio.irq.wait(null as unknown as undefined)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(uio.irq.wait({ signal: {} as AbortSignal })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(uio.irq.wait({ busyPollUs: MAX_BUSY_POLL_US + 1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(uio.irq.wait({ busyPollUs: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(uio.irq.wait({ busyPollUs: '50' as unknown as number })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('irq.wait({ busyPollUs: MAX_BUSY_POLL_US, timeoutMs: 20 }) with no interrupt: ETIMEDOUT after the spin, no hang', async () => {
    // (That the spin is cut to a shorter timeout is shown on the host, test/linux/uio-wait.test.ts.)
    const t0 = performance.now();
    await expect(uio.irq.wait({ busyPollUs: MAX_BUSY_POLL_US, timeoutMs: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('irq.wait({ timeoutMs: MAX_WAIT_MS }) is honoured: it is still waiting after 300 ms (aborted then)', async () => {
    const started = Date.now();
    await expect(uio.irq.wait({ timeoutMs: MAX_WAIT_MS, signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('mask, raise while masked, unmask: the interrupt is delivered once, none lost, no storm', async () => {
    uio.irq.unmask();
    const before = eventCount();
    const logBefore = kernelLog().split('\n').length;
    uio.irq.mask();
    regs.writel(0x10, EDU_REG_IRQ_RAISE);
    await new Promise((r) => setTimeout(r, 100));
    expect(eventCount(), 'no interrupt is counted while the line is masked').toBe(before);
    uio.irq.unmask();
    const event = await uio.irq.wait({ timeoutMs: 5000 });
    expect(regs.readl(EDU_REG_IRQ_STATUS)).toBe(0x10);
    regs.writel(0x10, EDU_REG_IRQ_ACK);
    uio.irq.unmask();
    expect(event.count).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(eventCount(), 'exactly one interrupt after the unmask (no storm)').toBe(before + 1);
    const newLines = kernelLog().split('\n').slice(logBefore - 1).join('\n');
    expect(newLines).not.toMatch(/Disabling IRQ|nobody cared/);
    // and the line still works
    regs.writel(0x20, EDU_REG_IRQ_RAISE);
    await expect(uio.irq.wait({ timeoutMs: 5000 })).resolves.toMatchObject({ count: before + 2, missed: 0 });
    regs.writel(0x20, EDU_REG_IRQ_ACK);
    uio.irq.unmask();
  });

  it('mapFile of device nodes that cannot be mapped fails at once with a typed error', () => {
    expect(() => mapFile('/dev/null', 0, 4096)).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    expect(() => mapFile(`${uio.info.sysfsPath}\0/x`, 0, 4096)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    // More than one region can hold (4 GiB on Node 20; Node 22 and later hold up to 2^53 - 1 bytes).
    expect(() => mapFile('/dev/mem', 0, MAX_REGION_BYTES + 4096)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('the native atomic poll on device memory: all-ones masks agree with the sleeping poll; bad masks are typed errors', async () => {
    // ID register 0x010000ed
    expect(regs.readl_poll_timeout_atomic(0, { mask: -1, value: 0x010000ed }, 0, 1000)).toBe(0x010000ed);
    await expect(regs.readl_poll_timeout(0, { mask: -1, value: 0x010000ed }, 10, 1000)).resolves.toBe(0x010000ed);
    expect(() => regs.readl_poll_timeout_atomic(0, { mask: 2 ** 32, value: 0 }, 0, 1000)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => regs.readl_poll_timeout_atomic(0, { mask: 1n, value: 1n } as never, 0, 1000)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => regs.readl_poll_timeout_atomic(0, (async () => true) as never, 0, 1000)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_RETURN_VALUE' }));
  });
});
