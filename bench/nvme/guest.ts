/**
 * The guest half of `npm run bench:nvme` (run by bench/nvme/run.ts inside `test/vm/run.sh --iommu --nvme-kernel`:
 * controller a1 on vfio-pci for the TypeScript driver, the identical b2 on the kernel's nvme driver as /dev/nvmeXn1):
 *
 *   node dist/bench/nvme/guest.js --c-binary PATH [--rounds N] [--qd1 COUNT] [--qd32 COUNT] [--warm-up COUNT]
 *     [--poll-spin-us US]   (the driver's pollSpinUs in polling mode; default the driver's own)
 *     [--warm-up-rounds N]  (whole rounds first, not recorded; default 2: the JIT settles)
 *
 * 4 KiB random reads (uniform over the namespace) at queue depth 1 and 32, by
 *   - the TypeScript driver (examples/nvme) through VFIO, completions by polling the phase tag,
 *   - the same with completions by MSI-X interrupt (awaited through the VFIO eventfd),
 *   - the kernel's nvme driver, read by bench/nvme/kernel-reads.c with O_DIRECT (QD1: pread; QD32: io_uring), the
 *     baseline of the ratios,
 *   - the same with the kernel's polled I/O (io_uring IOPOLL on the nvme driver's poll queue), to tell what polling
 *     itself costs or gains under the emulation.
 * Rounds alternate the order of the four, so they share the emulation's drift. Each run starts with a warm-up
 * (not counted), and the first --warm-up-rounds rounds are not recorded at all. Every block read is checked against the rig's pattern (words 0 and 1023), on both sides.
 * IOPS: the median over rounds of COUNT / elapsed; latency percentiles over all reads of all rounds (TS: from the
 * read() call to its promise's resolution). Prints a text table on stdout and, last, one line `NVME-BENCH-JSON {...}`.
 * Emulation figures (QEMU TCG), not hardware.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { release } from 'node:os';
import { parseArgs } from 'node:util';
import { openVfio, type VfioDevice } from '../../lib/index.js';
import { NvmeController, type NvmeCompletionMode } from '../../examples/nvme/index.js';
import { percentile, summarize } from '../stats.js';

const { values: opts } = parseArgs({
  options: {
    'c-binary': { type: 'string' },
    rounds: { type: 'string', default: '5' },
    qd1: { type: 'string', default: '1000' },
    qd32: { type: 'string', default: '4000' },
    'warm-up': { type: 'string', default: '100' },
    'poll-spin-us': { type: 'string' },
    'warm-up-rounds': { type: 'string', default: '2' },
  },
});
/** Whole rounds run first and not recorded: under TCG, V8's tiers (Sparkplug, Maglev, TurboFan) compile slowly. */
const WARM_ROUNDS = Number(opts['warm-up-rounds']);
/** The driver's pollSpinUs (NvmeOpenOptions; the driver's default when not given). */
const POLL_SPIN_US = opts['poll-spin-us'] === undefined ? undefined : Number(opts['poll-spin-us']);
const ROUNDS = Number(opts.rounds);
const COUNT: Record<number, number> = { 1: Number(opts.qd1), 32: Number(opts.qd32) };
const WARM = Number(opts['warm-up']);
const SEED0 = 0x4e564d00; // test/vm/nvme-image.mjs ORIGINAL_SEED
const BLOCK = 4096;
const log = (m: string): void => void process.stderr.write(`${m}\n`);

type Who = 'kernel' | 'kernel-poll' | 'ts-poll' | 'ts-interrupt';
interface Run {
  elapsedNs: number;
  latNs: number[];
  how: string;
}

const vfioBdf = process.env.MMIO_VM_NVME_VFIO?.split(' ')[0];
const kernelDev = process.env.MMIO_VM_NVME_KERNEL_DEV?.split(' ')[0];
const imageBytes = Number(process.env.MMIO_VM_NVME_BYTES);
if (!vfioBdf || !kernelDev || !(imageBytes > 0)) throw new Error('needs test/vm/run.sh --iommu --nvme-kernel (MMIO_VM_NVME_VFIO, MMIO_VM_NVME_KERNEL_DEV, MMIO_VM_NVME_BYTES)');
const BLOCKS = imageBytes / BLOCK;

function xorshift32(state: { s: number }): number {
  let x = state.s;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  state.s = x >>> 0;
  return state.s;
}

function check(data: Uint8Array, block: number): void {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (v.getUint32(0, true) !== (SEED0 ^ (block << 10)) >>> 0 || v.getUint32(BLOCK - 4, true) !== (SEED0 ^ ((block << 10) | 1023)) >>> 0) {
    throw new Error(`block ${block} does not hold the pattern (word 0 = 0x${v.getUint32(0, true).toString(16)})`);
  }
}

function kernelRun(qd: number, count: number, seed: number, polled: boolean): Run {
  const r = spawnSync(opts['c-binary']!, [kernelDev!, String(qd), String(count), String(BLOCKS), String(seed), ...(polled ? ['poll'] : [])], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`kernel-reads failed (${r.status ?? r.signal}): ${r.stderr}`);
  const [head, ...lines] = r.stdout.trim().split('\n');
  const m = /^mode (\S+) elapsed_ns (\d+)$/.exec(head);
  if (!m) throw new Error(`kernel-reads printed ${JSON.stringify(head)}`);
  return { how: m[1], elapsedNs: Number(m[2]), latNs: lines.map(Number) };
}

async function tsRun(dev: VfioDevice, mode: NvmeCompletionMode, qd: number, count: number, seed: number): Promise<Run> {
  const ctrl = await NvmeController.open(dev, { completion: mode, ...(POLL_SPIN_US === undefined ? {} : { pollSpinUs: POLL_SPIN_US }) });
  try {
    const ns = await ctrl.identifyNamespace(1);
    if (ns.blockSize !== BLOCK) throw new Error(`the namespace has ${ns.blockSize}-byte blocks; the rig makes 4096`);
    const io = await ctrl.createIoQueuePair({ entries: 64, completion: mode });
    const rng = { s: seed | 1 };
    const one = async (lat: number[] | null): Promise<void> => {
      const block = xorshift32(rng) % BLOCKS;
      const t0 = process.hrtime.bigint();
      const data = await io.read(1, BigInt(block), 1);
      if (lat) lat.push(Number(process.hrtime.bigint() - t0));
      check(data, block);
    };
    const drive = async (n: number, lat: number[] | null): Promise<void> => {
      let issued = 0;
      const worker = async (): Promise<void> => {
        while (issued < n) {
          issued++;
          await one(lat);
        }
      };
      await Promise.all(Array.from({ length: qd }, worker));
    };
    await drive(WARM, null);
    const latNs: number[] = [];
    const t0 = process.hrtime.bigint();
    await drive(count, latNs);
    return { how: qd === 1 ? 'await each' : `${qd} in flight`, elapsedNs: Number(process.hrtime.bigint() - t0), latNs };
  } finally {
    await ctrl.close();
  }
}

async function main(): Promise<void> {
  if (opts['c-binary'] === undefined) throw new Error('--c-binary is required (run.ts builds it on the host)');
  const dev = openVfio(vfioBdf!);
  const runs = new Map<string, Run[]>();
  const add = (who: Who, qd: number, r: Run): void => {
    const k = `${who} ${qd}`;
    runs.set(k, [...(runs.get(k) ?? []), r]);
  };
  try {
    const order: Who[] = ['ts-poll', 'ts-interrupt', 'kernel', 'kernel-poll'];
    for (let round = -WARM_ROUNDS; round < ROUNDS; round++) {
      const whos = order.map((_, i) => order[(i + round + WARM_ROUNDS) % order.length]);
      const record = round >= 0;
      for (const qd of Math.abs(round) % 2 ? [32, 1] : [1, 32]) {
        for (const who of whos) {
          const seed = 0x9e3779b1 ^ (round * 1000 + qd);
          if (who === 'kernel' || who === 'kernel-poll') {
            kernelRun(qd, WARM, seed ^ 0x55, who === 'kernel-poll');
            const r = kernelRun(qd, COUNT[qd], seed, who === 'kernel-poll');
            if (record) add(who, qd, r);
          } else {
            const r = await tsRun(dev, who === 'ts-poll' ? 'poll' : 'interrupt', qd, COUNT[qd], seed);
            if (record) add(who, qd, r);
          }
        }
      }
      log(record ? `round ${round + 1}/${ROUNDS}` : `warm-up round ${round + WARM_ROUNDS + 1}/${WARM_ROUNDS}`);
    }
  } finally {
    dev.close();
  }

  const rows: { who: Who; qd: number; how: string; iops: number; ratio: number; p50Us: number; p99Us: number; reads: number }[] = [];
  for (const qd of [1, 32]) {
    const iopsOf = (who: Who): number => summarize(runs.get(`${who} ${qd}`)!.map((r) => (r.latNs.length / r.elapsedNs) * 1e9)).median;
    const kernelIops = iopsOf('kernel');
    for (const who of ['kernel', 'kernel-poll', 'ts-poll', 'ts-interrupt'] as Who[]) {
      const all = runs.get(`${who} ${qd}`)!;
      const lat = all.flatMap((r) => r.latNs).sort((a, b) => a - b);
      const iops = iopsOf(who);
      rows.push({ who, qd, how: all[0].how, iops, ratio: iops / kernelIops, p50Us: percentile(lat, 0.5) / 1000, p99Us: percentile(lat, 0.99) / 1000, reads: lat.length });
    }
  }
  const name: Record<Who, string> = { kernel: 'kernel nvme driver, C, O_DIRECT', 'kernel-poll': 'kernel nvme driver, C, O_DIRECT, polled', 'ts-poll': 'TypeScript driver, polling', 'ts-interrupt': 'TypeScript driver, MSI-X interrupt' };
  const out = [
    `4 KiB random reads, QEMU NVMe (TCG), guest kernel ${release()}; ${ROUNDS} rounds alternating, ${COUNT[1]} reads at QD1 and ${COUNT[32]} at QD32 per run (+${WARM} warm-up, after ${WARM_ROUNDS} unrecorded rounds); pollSpinUs ${POLL_SPIN_US ?? 'default'}`,
    '| driver | QD | how | IOPS (median of rounds) | ratio to kernel | p50 µs | p99 µs |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${name[r.who]} | ${r.qd} | ${r.how} | ${Math.round(r.iops)} | ${r.ratio.toFixed(2)} | ${r.p50Us.toFixed(0)} | ${r.p99Us.toFixed(0)} |`),
  ];
  process.stdout.write(`${out.join('\n')}\nNVME-BENCH-JSON ${JSON.stringify({ kernel: release(), pollSpinUs: POLL_SPIN_US ?? null, rounds: ROUNDS, warmUpRounds: WARM_ROUNDS, counts: COUNT, warmUp: WARM, rows })}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
