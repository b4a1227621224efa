/**
 * The VFIO parts of the addon that run anywhere: hostile arguments to the ioctl wrappers (a JS error with errno,
 * never a crash), DMA memory allocation, and the eventfd interrupt source driven by writing to its eventfd.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addon } from '../../lib/linux/addon.js';
import { mapFile } from '../../lib/linux/map-file.js';
import { tempFile } from '../helpers/temp-file.js';
import { VfioInterrupts } from '../../lib/linux/vfio-irq.js';

const signal = (fd: number, n: bigint): void => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  writeSync(fd, b);
};

describe('VFIO native calls with hostile arguments', () => {
  it('ioctls on a descriptor that is no VFIO file fail with errno and the request name', () => {
    const fd = openSync('/dev/null', 'r+');
    try {
      for (const call of [
        () => addon().vfioGetApiVersion(fd),
        () => addon().vfioGroupGetStatus(fd),
        () => addon().vfioIommuGetInfo(fd),
        () => addon().vfioDeviceGetInfo(fd),
        () => addon().vfioDeviceGetRegionInfo(fd, 0),
        () => addon().vfioDeviceSetIrqs(fd, 0, 0, 0x21, [-1]),
        () => addon().vfioDeviceReset(fd),
        () => addon().vfioUnmapDma(fd, 0x1000n, 0x1000n),
      ]) {
        expect(call).toThrow(expect.objectContaining({ errno: 25, syscall: 'ioctl', mmioSyscallError: true })); // ENOTTY
      }
    } finally {
      closeSync(fd);
    }
    expect(() => addon().vfioGetApiVersion(-1)).toThrow(expect.objectContaining({ errno: 9 })); // EBADF
  });

  it('wrong argument types are TypeErrors/RangeErrors, not crashes', () => {
    expect(() => addon().vfioGetApiVersion('3' as unknown as number)).toThrow(TypeError);
    expect(() => addon().vfioUnmapDma(0, 1 as unknown as bigint, 1n)).toThrow(TypeError);
    expect(() => addon().vfioUnmapDma(0, -1n, 1n)).toThrow(RangeError);
    expect(() => addon().vfioDeviceSetIrqs(0, 0, 0, 0, new Array(5000).fill(-1))).toThrow(RangeError);
    expect(() => addon().dmaAlloc(0)).toThrow(RangeError);
    expect(() => addon().dmaAlloc(Number.NaN)).toThrow(RangeError);
  });

  it('dmaAlloc gives whole, zeroed, writable pages that unmap detaches', () => {
    const { handle, buffer } = addon().dmaAlloc(100);
    const view = new Uint8Array(buffer);
    expect(view.byteLength).toBe(addon().pageSize);
    expect(view.every((v) => v === 0)).toBe(true);
    view[99] = 5;
    addon().unmap(handle);
    expect(view.byteLength).toBe(0);
    addon().unmap(handle); // idempotent
  });

  it('freeing DMA memory leaves the mapping budget as it was: file mappings still work after many', () => {
    // Regression: dmaAlloc's regions were not counted but their unmap was, so the live-mapping count wrapped
    // below zero and every later mmap was refused with ENOMEM.
    for (let i = 0; i < 8; i++) addon().unmap(addon().dmaAlloc(4096).handle);
    const file = tempFile(4096, 'after-dma.bin');
    try {
      using r = mapFile(file.path, 0, 4096);
      r.writel(0x1234_5678, 0);
      expect(r.readl(0)).toBe(0x1234_5678);
    } finally {
      file.cleanup();
    }
  });
});

describe('VfioInterrupts over an eventfd (signalled by hand)', () => {
  it('checks timeoutMs and signal as every backend does (one range: a wait is refused, never cut short)', async () => {
    const irq = new VfioInterrupts('msi', 0, 'test', -1);
    try {
      await expect(irq.wait({ timeoutMs: 2 ** 31 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
      await expect(irq.wait({ timeoutMs: '5' as unknown as number })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
      await expect(irq.wait({ signal: {} as AbortSignal })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
      await expect(irq.wait(null as unknown as undefined)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    } finally {
      irq.close();
    }
  });

  it('wait resolves with the accumulated count and how many were missed', async () => {
    const irq = new VfioInterrupts('msi', 0, 'test', -1);
    try {
      signal(irq.eventfd, 1n);
      expect(await irq.wait({ timeoutMs: 1000 })).toEqual({ count: 1, missed: 0 });
      signal(irq.eventfd, 3n);
      expect(await irq.wait({ timeoutMs: 1000 })).toEqual({ count: 4, missed: 2 });
      const pending = irq.wait({ timeoutMs: 1000 });
      setTimeout(() => signal(irq.eventfd, 1n), 20);
      expect(await pending).toEqual({ count: 5, missed: 0 });
      expect(irq.count).toBe(5);
      expect(irq.path).toBe('vfio:test:msi0');
    } finally {
      irq.close();
    }
  });

  it('a wait on a vector that has already fired resolves before any turn of the event loop (the fast path); switched off, the same through the loop', async () => {
    const irq = new VfioInterrupts('msi', 0, 'test', -1);
    // Settled within microtasks only (no I/O, no timer, no immediate can run in between)?
    const firstSettled = async (wait: Promise<unknown>): Promise<string> => {
      let settled = false;
      wait.then(
        () => (settled = true),
        () => (settled = true),
      );
      for (let i = 0; i < 10; i++) await Promise.resolve();
      return settled ? 'wait' : 'event-loop turn';
    };
    try {
      signal(irq.eventfd, 2n);
      expect(await firstSettled(irq.wait())).toBe('wait');
      expect(irq.count).toBe(2);
      addon().irqSetTryRead(false);
      signal(irq.eventfd, 1n);
      const slow = irq.wait();
      expect(await firstSettled(slow)).toBe('event-loop turn');
      expect(await slow).toEqual({ count: 3, missed: 0 });
    } finally {
      addon().irqSetTryRead(true);
      irq.close();
    }
    // nothing pending, a closed handle, another wait pending: -1, and the poll path takes over
    const idle = new VfioInterrupts('msi', 0, 'test', -1);
    try {
      const waiting = idle.wait({ timeoutMs: 50 });
      expect(await firstSettled(waiting)).toBe('event-loop turn');
      await expect(waiting).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    } finally {
      idle.close();
    }
  });

  it('timeouts, aborts, a second wait, close during a wait, waits after close', async () => {
    const irq = new VfioInterrupts('msix', 3, 'test', -1);
    await expect(irq.wait({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT', hint: expect.stringMatching(/pci_set_master/) });
    const ac = new AbortController();
    const p = irq.wait({ signal: ac.signal });
    await expect(irq.wait()).rejects.toMatchObject({ code: 'ERR_IRQ_WAIT_PENDING' });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await expect(irq.wait({ timeoutMs: Number.NaN })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(() => irq.mask()).toThrow(expect.objectContaining({ code: 'ENOTSUP' }));
    irq.unmask(); // edge-triggered: nothing to do
    const q = irq.wait();
    irq.close();
    await expect(q).rejects.toMatchObject({ code: 'ERR_IRQ_CLOSED' });
    await expect(irq.wait()).rejects.toMatchObject({ code: 'ERR_IRQ_CLOSED' });
    expect(irq.eventfd).toBe(-1);
    expect(() => irq.unmask()).toThrow(expect.objectContaining({ code: 'ERR_IRQ_CLOSED' }));
    irq.close();
  });

  it('async iteration ends when the source closes', async () => {
    const irq = new VfioInterrupts('req', 0, 'test', -1);
    const seen: number[] = [];
    const loop = (async () => {
      for await (const ev of irq) {
        seen.push(ev.count);
        if (seen.length === 2) irq.close();
        else signal(irq.eventfd, 1n);
      }
    })();
    signal(irq.eventfd, 1n);
    await loop;
    expect(seen).toEqual([1, 2]);
  });

  it('INTx unmask on a descriptor that is no VFIO device fails with the ioctl error', () => {
    const irq = new VfioInterrupts('intx', 0, 'test', -1);
    try {
      expect(() => irq.unmask()).toThrow(expect.objectContaining({ code: 'EBADF', ioctl: 'VFIO_DEVICE_SET_IRQS' }));
    } finally {
      irq.close();
    }
  });
});
