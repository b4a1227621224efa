/**
 * The UIO wait path on the host, with a FIFO standing in for /dev/uioN (pollable; a 4-byte write is an
 * interrupt count, as a 4-byte read of /dev/uioN returns one). The device keeps one libuv poll handle from its
 * first wait to close (native/uio_irq.cc): these tests pin down what that must not change — every wait gets
 * its event, an event that arrives while no wait is pending goes to the next wait without spinning the loop,
 * and an open device with no wait pending does not keep the process alive. The real device is in
 * test/hw/uio-irq.hw.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { addon } from '../../lib/linux/addon.js';
import { UioInterrupts } from '../../lib/linux/uio-interrupts.js';
import { openFdCount, tempFile } from '../helpers/temp-file.js';

const libUrl = new URL('../../dist/lib/index.js', import.meta.url).href;

let file: { path: string; cleanup(): void };
let fifo: string;
let writer: number;
const raise = (count: number): void => void writeSync(writer, Buffer.from(Uint32Array.of(count).buffer));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  file = tempFile(0, 'uio');
  fifo = `${file.path}.fifo`;
  execFileSync('mkfifo', [fifo]);
  writer = openSync(fifo, 'r+');
});
afterEach(() => {
  closeSync(writer);
  file.cleanup();
});

describe('UIO waits on one device (a FIFO as /dev/uioN)', () => {
  it('1000 sequential waits each get their event, in both orders; no descriptor is left behind', async () => {
    const fdsBefore = openFdCount();
    const irq = new UioInterrupts(fifo, 0);
    for (let i = 1; i <= 1000; i++) {
      let event;
      if (i % 2 === 0) {
        const pending = irq.wait({ timeoutMs: 5000 }); // a handler loop: the wait is pending first
        raise(i);
        event = await pending;
      } else {
        raise(i); // as eduInterruptRoundTrip: kick the device, then wait
        event = await irq.wait({ timeoutMs: 5000 });
      }
      expect(event).toEqual({ count: i, missed: 0 });
    }
    irq.close();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('an event arriving while no wait is pending goes to the next wait, and the idle loop does not spin on it', async () => {
    const irq = new UioInterrupts(fifo, 0);
    try {
      raise(1);
      expect(await irq.wait({ timeoutMs: 5000 })).toEqual({ count: 1, missed: 0 }); // the device's poll handle exists now
      raise(4); // nobody waits: the loop sees the descriptor readable and must neither lose the event nor busy-poll it
      const cpu = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await sleep(200);
      const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
      const { user, system } = process.cpuUsage(cpu);
      expect(user + system).toBeLessThan(wallUs / 2);
      expect(await irq.wait({ timeoutMs: 5000 })).toEqual({ count: 4, missed: 2 });
    } finally {
      irq.close();
    }
  });

  it('aborted before its read runs (in the same synchronous code), a wait rejects with the reason and reads nothing', async () => {
    const irq = new UioInterrupts(fifo, 0);
    try {
      const ac = new AbortController();
      const p = irq.wait({ signal: ac.signal });
      raise(1); // there for the read after this code: an aborted wait must not take it
      ac.abort(new Error('stop'));
      await expect(p).rejects.toMatchObject({ code: 'ABORT_ERR', cause: { message: 'stop' } });
      expect(await irq.wait({ timeoutMs: 5000 })).toEqual({ count: 1, missed: 0 });
    } finally {
      irq.close();
    }
  });

  it('after a cancelled wait the next one still gets the event; close() rejects a pending wait', async () => {
    const irq = new UioInterrupts(fifo, 0);
    await expect(irq.wait({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    raise(1);
    expect(await irq.wait({ timeoutMs: 5000 })).toEqual({ count: 1, missed: 0 });
    const pending = irq.wait();
    irq.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_IRQ_CLOSED' });
  });

  it('an open device with no wait pending does not keep the process alive; a pending wait does', () => {
    const program = (leavePending: boolean): string => `
      import(${JSON.stringify(libUrl)}).then(async (m) => {
        const fs = require('node:fs');
        const w = fs.openSync(${JSON.stringify(fifo)}, 'r+'); // kept open: a FIFO with no writer reads as hung up
        const irq = new m.UioInterrupts(${JSON.stringify(fifo)}, 0);
        globalThis.keep = irq; // reachable: garbage collection would close it and hide a handle left referenced
        fs.writeSync(w, Buffer.from(Uint32Array.of(3).buffer));
        const e = await irq.wait({ timeoutMs: 5000 });
        ${leavePending ? 'irq.wait().then(() => {}, () => {}); setTimeout(() => { console.log("still alive"); process.exit(0); }, 300).unref();' : ''}
        console.log('got', e.count); // never closed: the device's poll handle is left open, unref'd
      });`;
    expect(execFileSync(process.execPath, ['-e', program(false)], { encoding: 'utf8', timeout: 10_000 })).toBe('got 3\n');
    expect(execFileSync(process.execPath, ['-e', program(true)], { encoding: 'utf8', timeout: 10_000 })).toBe('got 3\nstill alive\n');
  });

  /** Count (and time) the wait's hand-overs to the event loop: the addon's irqWait, wrapped for one test. */
  function spyIrqWait(): { calls: number; at: number[]; restore(): void } {
    const native = addon();
    const original = native.irqWait;
    const spy = {
      calls: 0,
      at: [] as number[],
      restore: () => void (native.irqWait = original),
    };
    native.irqWait = (...args) => {
      spy.calls++;
      spy.at.push(performance.now());
      return original.apply(native, args);
    };
    return spy;
  }

  it('wait(), then the event, then await: resolved by one more read, never handed to the event loop', async () => {
    const irq = new UioInterrupts(fifo, 0);
    const spy = spyIrqWait();
    try {
      for (let i = 1; i <= 50; i++) {
        const pending = irq.wait({ timeoutMs: 5000 });
        raise(i); // the device interrupts between wait() and await, as a fast device (or QEMU's edu) does
        expect(await pending).toEqual({ count: i, missed: 0 });
      }
      expect(spy.calls).toBe(0);
      // Control: an event that comes a loop turn later does go through the event loop.
      const later = irq.wait({ timeoutMs: 5000 });
      setTimeout(() => raise(51), 5);
      expect(await later).toEqual({ count: 51, missed: 0 });
      expect(spy.calls).toBe(1);
    } finally {
      spy.restore();
      irq.close();
    }
  });

  it('busyPollUs: an event from another thread during the spin is taken without the event loop', async () => {
    // The worker writes the count 1 ms after it is told to: inside the 10 ms spin, after the single read that a
    // wait without busyPollUs makes (so that wait would hand over to the event loop: shown by the control below).
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(
      `const { workerData: { flag, fd } } = require('node:worker_threads');
       const { writeSync } = require('node:fs');
       for (let n = 1; ; n++) {
         Atomics.wait(flag, 0, n - 1); // told: write count n
         Atomics.wait(flag, 1, 0, 1); // 1 ms
         writeSync(fd, Buffer.from(Uint32Array.of(n).buffer));
       }`,
      { eval: true, workerData: { flag, fd: writer } },
    );
    worker.unref();
    await new Promise((r) => worker.once('online', r));
    const irq = new UioInterrupts(fifo, 0);
    const spy = spyIrqWait();
    const go = (n: number): void => {
      Atomics.store(flag, 0, n);
      Atomics.notify(flag, 0);
    };
    try {
      // Without busyPollUs: handed to the event loop (the worker's write comes 1 ms later).
      const plain = irq.wait({ timeoutMs: 5000 });
      go(1);
      expect(await plain).toEqual({ count: 1, missed: 0 });
      expect(spy.calls).toBe(1);
      // With it: up to five tries (a loaded machine may not run the worker within 10 ms), at least one spins it in.
      let spunIn = 0;
      for (let n = 2; n <= 6 && spunIn === 0; n++) {
        const before = spy.calls;
        const busy = irq.wait({ timeoutMs: 5000, busyPollUs: 10_000 });
        go(n);
        expect(await busy).toEqual({ count: n, missed: 0 });
        if (spy.calls === before) spunIn++;
      }
      expect(spunIn).toBe(1);
    } finally {
      spy.restore();
      irq.close();
      await worker.terminate();
    }
  });

  it('busyPollUs: the spin ends after busyPollUs, or at timeoutMs when that is sooner; then the wait sleeps', async () => {
    const irq = new UioInterrupts(fifo, 0);
    const spy = spyIrqWait();
    try {
      let t0 = performance.now();
      const pending = irq.wait({ busyPollUs: 3000 });
      await Promise.resolve(); // the spin runs in the microtask queued by wait()
      expect(spy.calls).toBe(1);
      expect(spy.at[0] - t0).toBeGreaterThanOrEqual(3);
      raise(1);
      expect(await pending).toEqual({ count: 1, missed: 0 });
      t0 = performance.now();
      await expect(irq.wait({ busyPollUs: 10_000, timeoutMs: 1 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect(spy.at[1] - t0).toBeLessThan(9); // cut to the 1 ms timeout, not the 10 ms spin
    } finally {
      spy.restore();
      irq.close();
    }
  });

  it('the addon call under busyPollUs takes any busy time a direct caller passes: no crash, at most 10 ms of spin', () => {
    const handle = addon().irqOpen(fifo);
    try {
      for (const busy of [undefined, 'x', NaN, -1, 0, 1e-9, Infinity, 1e12, 2 ** 64]) {
        const t0 = performance.now();
        expect(addon().irqTryRead(handle, busy as unknown as number)).toBe(-1); // nothing raised
        expect(performance.now() - t0, String(busy)).toBeLessThan(200); // clamped to MAX_BUSY_POLL_US (10 ms), with room for a loaded machine
      }
      raise(7);
      expect(addon().irqTryRead(handle, Infinity)).toBe(7);
    } finally {
      addon().irqClose(handle);
    }
  });
});
