import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { dirname } from 'node:path';
import { mapFile, PciDevice, UioDevice } from '../../lib/index.js';
import { mappingsOf, tempFile } from '../helpers/temp-file.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** How many lines of /proc/self/maps name this file: its live mappings. */
async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

describe('mapping lifetime', () => {
  it('iounmap removes the mapping from the process', () => {
    const file = tempFile(4096);
    try {
      const r = mapFile(file.path, 0, 4096);
      expect(mappingsOf(file.path)).toBe(1);
      r.iounmap();
      expect(mappingsOf(file.path)).toBe(0);
    } finally {
      file.cleanup();
    }
  });

  it('regions dropped without iounmap are unmapped by garbage collection', async () => {
    const file = tempFile(4096);
    try {
      (() => {
        for (let i = 0; i < 50; i++) mapFile(file.path, 0, 4096).writel(i, 0);
      })();
      expect(mappingsOf(file.path)).toBeGreaterThan(0);
      await collectGarbage();
      expect(mappingsOf(file.path)).toBe(0);
    } finally {
      file.cleanup();
    }
  });
});

const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData.requireFrom)(workerData.root);
const m = addon.map(workerData.path, 0n, 4096, { sync: true, readOnly: false });
const fns = addon.bindAccessors(m.handle);
fns.write32(0x600dcafe, 0);
parentPort.postMessage(fns.read32(4));
// exits with the mapping still mapped: the environment teardown must release it
`;

describe('worker_threads', () => {
  it('loads in a worker, shares stores with the main thread, and releases the worker mapping on exit', async () => {
    const file = tempFile(4096);
    try {
      const main = mapFile(file.path, 0, 4096);
      main.writel(0x12345678, 4);
      const worker = new Worker(workerCode, {
        eval: true,
        workerData: { path: file.path, root: process.cwd(), requireFrom: createRequire(import.meta.url).resolve('node-gyp-build') },
      });
      const seen = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await new Promise((resolve) => worker.once('exit', resolve));
      expect(seen).toBe(0x12345678);
      expect(main.readl(0)).toBe(0x600dcafe);
      expect(mappingsOf(file.path)).toBe(1); // only the main thread's
      main.iounmap();
      expect(mappingsOf(file.path)).toBe(0);
    } finally {
      file.cleanup();
    }
  });
});

describe('devices do not keep their unmapped regions', () => {
  // A UIO or PCI device object that maps and unmaps for months must not hold on to every region it ever made.
  // Fake sysfs descriptions over a temporary file stand in for /dev/uioN and resource0.
  async function collected(map: () => { iounmap(): void }): Promise<boolean> {
    let ref: WeakRef<object> | undefined;
    (() => {
      const r = map();
      r.iounmap();
      ref = new WeakRef(r);
    })();
    await collectGarbage();
    return ref?.deref() === undefined;
  }

  it('UioDevice.map: an unmapped region can be garbage-collected while the device stays open', async () => {
    const file = tempFile(4096);
    const dev = new UioDevice({
      number: 99, name: 'fake', version: '', event: 0, devicePath: file.path, sysfsPath: '/nonexistent',
      maps: [{ index: 0, name: '', addr: 0x1000n, size: 4096, offset: 0 }],
    });
    try {
      expect(await collected(() => dev.map(0))).toBe(true);
      const kept = dev.map(0);
      dev.close(); // still unmaps what is mapped
      expect(kept.mapped).toBe(false);
    } finally {
      dev.close();
      file.cleanup();
    }
  });

  it('PciDevice.map: the same', async () => {
    const file = tempFile(4096, 'resource0');
    const dev = new PciDevice({
      bdf: '0000:99:00.0', vendor: 0x1234, device: 0x11e8, class: 0, sysfsPath: dirname(file.path),
      bars: [{ index: 0, start: 0x1000n, size: 4096n, flags: 0x200n, type: 'mem', prefetchable: false, is64: false }],
    });
    try {
      expect(await collected(() => dev.map(0))).toBe(true);
      const kept = dev.map(0);
      dev.close();
      expect(kept.mapped).toBe(false);
    } finally {
      file.cleanup();
    }
  });
});
