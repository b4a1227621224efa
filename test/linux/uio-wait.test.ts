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
});
