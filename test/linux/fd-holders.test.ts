/**
 * fdHolders / groupBusyHint: how an EBUSY from opening a VFIO group names who holds it. The /proc scan is the
 * same for /dev/vfio/N as for any file, so it is proven here on a temporary file held by this thread, a worker
 * thread and a child process (the guest suite, test/hw/vfio.hw.test.ts, shows it on a real group).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { fdHolders, groupBusyHint } from '../../lib/linux/fd-holders.js';

const dir = mkdtempSync(join(tmpdir(), 'mmio-fd-holders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => {
  const path = join(dir, `group-${++n}`);
  writeFileSync(path, '');
  return path;
};

describe('fdHolders', () => {
  it('sees nobody for a file nobody has open', () => {
    expect(fdHolders(file())).toEqual([]);
  });

  it('sees this process when this thread has it open, and not after close', () => {
    const path = file();
    const fd = openSync(path, 'r');
    try {
      expect(fdHolders(path)).toEqual([{ pid: process.pid, self: true }]);
    } finally {
      closeSync(fd);
    }
    expect(fdHolders(path)).toEqual([]);
  });

  it('sees this process when a worker thread has it open (descriptors are per process)', async () => {
    const path = file();
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const fs = require('node:fs');
       const fd = fs.openSync(workerData, 'r');
       parentPort.postMessage('open');
       parentPort.once('message', () => { fs.closeSync(fd); parentPort.postMessage('closed'); });`,
      { eval: true, workerData: path },
    );
    const next = () => new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
    await next();
    const seen = fdHolders(path);
    worker.postMessage('close');
    await next();
    await worker.terminate();
    expect(seen).toEqual([{ pid: process.pid, self: true }]);
    expect(groupBusyHint(path, seen)).toMatch(/^another thread of this process \(a worker, or the main thread\) has .* open in its own container, and VFIO allows one container per group: open the device in one thread/);
  });

  it('sees another process by its pid', async () => {
    const path = file();
    const fd = openSync(path, 'r');
    const child = spawn('sleep', ['30'], { stdio: ['ignore', fd, 'ignore'] });
    closeSync(fd);
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const seen = fdHolders(path);
      expect(seen).toEqual([{ pid: child.pid, self: false }]);
      expect(groupBusyHint(path, seen)).toBe(`process ${child.pid} has ${path} open (a group belongs to one container at a time): close the device there first`);
    } finally {
      child.kill();
    }
  });
});

describe('groupBusyHint', () => {
  it('says so when the holder is not visible (another user\'s process)', () => {
    expect(groupBusyHint('/dev/vfio/7', [])).toMatch(/^another process has \/dev\/vfio\/7 open .*not visible to this user/);
  });

  it('names this process first when both hold it', () => {
    expect(groupBusyHint('/dev/vfio/7', [{ pid: 1, self: true }, { pid: 2, self: false }])).toMatch(/^another thread of this process/);
  });
});
