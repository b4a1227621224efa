/**
 * The guest suite of the NVMe example driver (examples/nvme), shared by the VFIO test (test/hw/nvme-example.hw.test.ts)
 * and the no-IOMMU test (test/hw-nommu/nvme-nommu.hw.test.ts): QEMU's NVMe controller over the rig's 64 MiB image
 * whose every 4 KiB block the host filled with a known pattern (test/vm/nvme-image.mjs). Identify, random 4 KiB
 * reads at queue depth 1 and 32, multi-page transfers (PRP2, PRP lists), writes with a fresh pattern read back, and
 * an out-of-range read answered with the specification's status. Every block written is appended to the rig's list
 * (MMIO_VM_NVME_WRITES) once its write completed, and after the guest powers off test/vm/run.sh checks the image on
 * the host: the written blocks as written, every other block unchanged.
 */
import { randomInt } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NvmeController, NvmeStatusError, type NvmeCompletionMode, type NvmeIoQueuePair, type NvmePciFunction } from '../../examples/nvme/index.js';
// @ts-expect-error: a plain ES module shared with the host's shell scripts (no declaration file)
import { firstMismatch, ORIGINAL_SEED, PATTERN_BLOCK, pattern, readWrites } from '../vm/nvme-image.mjs';

const NSID = 1;
const QUEUE_ENTRIES = 64;
const QD = 32;

/** The MSI-X interrupts the kernel counted for `bdf` (VFIO names them `vfio-msix[N](<bdf>)` in /proc/interrupts). */
export function msixCount(bdf: string): number {
  let total = 0;
  for (const line of readFileSync('/proc/interrupts', 'utf8').split('\n')) {
    if (!line.includes(`vfio-msix`) || !line.includes(`(${bdf})`)) continue;
    const cols = line.trim().split(/\s+/).slice(1);
    for (const c of cols) {
      if (!/^\d+$/.test(c)) break;
      total += Number(c);
    }
  }
  return total;
}

/** What the rig needs before the suite can run; throws the loud message otherwise. */
export function nvmeRigOrThrow(envName: 'MMIO_VM_NVME_VFIO' | 'MMIO_VM_NVME_UIO', how: string): { bdf: string; writes: string; bytes: number } {
  const bdf = process.env[envName]?.split(' ')[0];
  const writes = process.env.MMIO_VM_NVME_WRITES;
  const bytes = Number(process.env.MMIO_VM_NVME_BYTES);
  if (!bdf || !writes || !(bytes > 0)) {
    throw new Error(`HARDWARE TEST CANNOT RUN HERE: no NVMe controller with the rig's patterned image (${envName}, MMIO_VM_NVME_WRITES, MMIO_VM_NVME_BYTES unset). Run it in the guest: ${how}`);
  }
  return { bdf, writes, bytes };
}

/**
 * The suite for one completion mode. `open` gives the controller's PCI function (called once per mode, closed by
 * `close` after the controller is); `interruptsOf` (VFIO only) counts the function's MSI-X interrupts so the test
 * sees which way completions arrived.
 */
export function nvmeExampleSuite(options: {
  title: string;
  rig: () => { bdf: string; writes: string; bytes: number };
  open: (bdf: string) => NvmePciFunction & { close(): void };
  mode: NvmeCompletionMode;
  interruptsOf?: (bdf: string) => number;
  /** Multi-page reads in flight at once (default 32). Without an IOMMU each slot's buffer is a 2 MiB huge page. */
  multiPageInFlight?: number;
}): void {
  const multiPageInFlight = options.multiPageInFlight ?? QD;
  describe(`${options.title}: ${options.mode} completions`, () => {
    let rig: { bdf: string; writes: string; bytes: number };
    let dev: (NvmePciFunction & { close(): void }) | undefined;
    let ctrl: NvmeController | undefined;
    let io: NvmeIoQueuePair;
    let blockSize = 0;
    let blocks = 0;
    /** What each block holds now: the seed it was last written with, ORIGINAL_SEED if never. */
    let seeds: Map<number, number>;
    let irqsAtStart = 0;

    const seedOf = (block: number): number => seeds.get(block) ?? ORIGINAL_SEED;
    const lbaOf = (block: number): bigint => BigInt((block * PATTERN_BLOCK) / blockSize);
    const lbasOf = (n: number): number => (n * PATTERN_BLOCK) / blockSize;
    /** Read `n` 4 KiB blocks from `block` and compare them with what they must hold, one seed per block. */
    async function readAndCompare(block: number, n = 1): Promise<void> {
      const data = await io.read(NSID, lbaOf(block), lbasOf(n));
      expect(data.byteLength, `read of ${n} blocks at ${block}`).toBe(n * PATTERN_BLOCK);
      for (let i = 0; i < n; i++) {
        const at = firstMismatch(data.subarray(i * PATTERN_BLOCK, (i + 1) * PATTERN_BLOCK), block + i, seedOf(block + i));
        expect(at, `block ${block + i} (read ${n} from ${block}): first wrong word`).toBe(-1);
      }
    }
    async function writeBlocks(block: number, n: number, seed: number): Promise<void> {
      const data = new Uint8Array(n * PATTERN_BLOCK);
      for (let i = 0; i < n; i++) data.set(pattern(block + i, 1, seed), i * PATTERN_BLOCK);
      await io.write(NSID, lbaOf(block), data);
      // recorded only once the controller completed the write: the host compares the image with this list
      for (let i = 0; i < n; i++) {
        seeds.set(block + i, seed);
        appendFileSync(rig.writes, `${block + i} ${seed.toString(16)}\n`);
      }
    }

    beforeAll(async () => {
      rig = options.rig();
      seeds = readWrites(rig.writes) as Map<number, number>; // earlier suites of this boot may have written
      dev = options.open(rig.bdf);
      irqsAtStart = options.interruptsOf?.(rig.bdf) ?? 0;
      ctrl = await NvmeController.open(dev, { completion: options.mode });
      const ns = await ctrl.identifyNamespace(NSID);
      blockSize = ns.blockSize;
      blocks = rig.bytes / PATTERN_BLOCK;
      io = await ctrl.createIoQueuePair({ entries: QUEUE_ENTRIES, completion: options.mode });
    });
    afterAll(async () => {
      try {
        await ctrl?.close();
      } finally {
        dev?.close();
      }
    });

    it('Identify Controller and Namespace: QEMU NVMe Ctrl, serial a1, 4 KiB blocks, the image size', async () => {
      const id = await ctrl!.identifyController();
      expect(id.vid).toBe(0x1b36); // Red Hat, Inc. (QEMU)
      expect(id.sn).toBe('a1');
      expect(id.mn).toBe('QEMU NVMe Ctrl');
      expect(id.nn).toBeGreaterThanOrEqual(1);
      const ns = await ctrl!.identifyNamespace(NSID);
      expect(ns.blockSize).toBe(4096); // the rig's logical_block_size
      expect(ns.nsze * BigInt(ns.blockSize)).toBe(BigInt(rig.bytes));
      expect(ns.ncap).toBe(ns.nsze);
    });

    it('random 4 KiB reads compare with the pattern: 32 one at a time, 256 with 32 in flight', async () => {
      for (let i = 0; i < 32; i++) await readAndCompare(randomInt(blocks));
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < 256) {
          next++;
          await readAndCompare(randomInt(blocks));
        }
      };
      await Promise.all(Array.from({ length: QD }, worker)); // queue depth 32 (the queue has 64 entries)
    });

    it(`multi-page transfers: 2 blocks (PRP2), 3, 16 and 64 blocks (PRP lists), ${multiPageInFlight} reads of 32 KiB at once`, async () => {
      for (const n of [2, 3, 16, 64]) await readAndCompare(randomInt(blocks - n), n);
      await Promise.all(Array.from({ length: multiPageInFlight }, () => readAndCompare(randomInt(blocks - 8), 8)));
    });

    it('writes single blocks and a 16-block run with a new pattern, read back; their neighbours are unchanged', async () => {
      // blocks of their own per mode and run, chosen at random: each new seed is new to the image
      const seed = (randomInt(0xffff) << 16) | randomInt(0xffff) | 1;
      const singles = new Set<number>();
      while (singles.size < 8) singles.add(1 + randomInt(blocks - 2));
      for (const b of singles) await writeBlocks(b, 1, (seed + b) >>> 0);
      const run = 1 + randomInt(blocks - 18);
      await writeBlocks(run, 16, seed >>> 0);
      for (const b of singles) await readAndCompare(b - 1, 3);
      await readAndCompare(run - 1, 18);
    });

    it('a read beyond the namespace fails with the status LBA Out of Range, and the queue keeps working', async () => {
      const err = await io.read(NSID, lbaOf(blocks), 1).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(NvmeStatusError);
      expect(err).toMatchObject({ code: 'ERR_NVME_STATUS', name: 'LBA Out of Range', sct: 0, sc: 0x80 });
      await readAndCompare(blocks - 1);
    });

    if (options.interruptsOf !== undefined) {
      it(options.mode === 'interrupt' ? 'completions arrived by MSI-X (the kernel counted interrupts)' : 'polling: no MSI-X interrupt was raised', () => {
        const raised = options.interruptsOf!(rig.bdf) - irqsAtStart;
        if (options.mode === 'interrupt') expect(raised).toBeGreaterThan(0);
        else expect(raised).toBe(0);
      });
    }
  });
}
