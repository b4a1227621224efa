/**
 * What `run.ts` does, as a function the tests call: open the controller, print its Identify data and namespace 1,
 * read blocks one by one and as one multi-page transfer (PRP list) and compare the two, optionally write a
 * pattern to a scratch range, read it back and compare (restoring what was there), and close.
 * @module
 */
import type { NvmePciFunction } from './device.js';
import { NvmeController, type NvmeCompletionMode } from './controller.js';

/** Options of {@link runNvmeDemo}. */
export interface NvmeDemoOptions {
  completion?: NvmeCompletionMode;
  /** Namespace. Default 1. */
  nsid?: number;
  /** First LBA read. Default 0. */
  lba?: bigint;
  /** Blocks of the multi-page read. Default 64. */
  blocks?: number;
  /** Write, read back and restore this many blocks at `writeLba` (undefined: no write). */
  writeLba?: bigint;
  /** What the blocks should hold, if known (the simulated controller's RAM disk): compared with what was read. */
  expected?: (lba: bigint, blocks: number) => Uint8Array;
  /** Milliseconds before a command rejects. Default 5000. */
  timeoutMs?: number;
}

/** Lines of output, and whether every comparison held. */
export interface NvmeDemoResult {
  lines: string[];
  ok: boolean;
}

function hex(n: number | bigint, width = 4): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Run the demo on `dev`.
 * @throws (rejects) whatever the driver rejects with (see NvmeController); the controller is closed either way.
 */
export async function runNvmeDemo(dev: NvmePciFunction, options: NvmeDemoOptions = {}): Promise<NvmeDemoResult> {
  const lines: string[] = [];
  let ok = true;
  const nsid = options.nsid ?? 1;
  const lba = options.lba ?? 0n;
  const blocks = options.blocks ?? 64;
  const c = await NvmeController.open(dev, { completion: options.completion ?? 'poll', timeoutMs: options.timeoutMs });
  try {
    const id = c.controllerInfo;
    const v = c.version;
    const cap = c.capabilities;
    lines.push(`controller ${c.regs.path}: NVMe ${v.major}.${v.minor}.${v.tertiary}, MQES ${cap.mqes}, doorbell stride ${c.doorbellStride} bytes, CAP.TO ${cap.to * 500} ms`);
    lines.push(`  vid ${hex(id.vid)} ssvid ${hex(id.ssvid)}  sn '${id.sn}'  mn '${id.mn}'  fr '${id.fr}'`);
    lines.push(`  mdts ${id.mdts} (${c.maxTransferBytes / 1024} KiB per command), nn ${id.nn}, I/O queue pairs allocated ${c.ioQueuesAllocated}`);
    const ns = await c.identifyNamespace(nsid);
    lines.push(`namespace ${nsid}: nsze ${ns.nsze} ncap ${ns.ncap} nuse ${ns.nuse} blocks of ${ns.blockSize} bytes (LBA format ${ns.lbaFormatIndex} of ${ns.nlbaf + 1})`);
    const q = await c.createIoQueuePair({ completion: options.completion });
    lines.push(`I/O queue pair ${q.qid}: ${q.entries} entries, completion by ${q.completion === 'poll' ? 'polling the phase tag' : `MSI-X`}`);

    const one: Uint8Array[] = await Promise.all(Array.from({ length: blocks }, (_, i) => q.read(nsid, lba + BigInt(i), 1)));
    const started = performance.now();
    const whole = await q.read(nsid, lba, blocks);
    const ms = performance.now() - started;
    const same = one.every((b, i) => equal(b, whole.subarray(i * ns.blockSize, (i + 1) * ns.blockSize)));
    ok &&= same;
    lines.push(`read ${blocks} blocks at lba ${lba}: ${blocks} single-block reads (PRP1) ${same ? '==' : '!='} one ${whole.byteLength}-byte read (PRP list) in ${ms.toFixed(2)} ms`);
    if (options.expected !== undefined) {
      const match = equal(whole, options.expected(lba, blocks));
      ok &&= match;
      lines.push(`compared with the namespace's contents: ${match ? 'identical' : 'DIFFERENT'}`);
    }

    if (options.writeLba !== undefined) {
      const at = options.writeLba;
      const saved = await q.read(nsid, at, blocks);
      const pattern = new Uint8Array(blocks * ns.blockSize);
      for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 13 + (i >>> 12)) & 0xff;
      await q.write(nsid, at, pattern);
      const back = await q.read(nsid, at, blocks);
      const match = equal(back, pattern);
      ok &&= match;
      await q.write(nsid, at, saved);
      const restored = equal(await q.read(nsid, at, blocks), saved);
      ok &&= restored;
      lines.push(`wrote ${blocks} blocks at lba ${at}, read them back: ${match ? 'identical' : 'DIFFERENT'}; old contents restored: ${restored ? 'yes' : 'NO'}`);
    }
    const s = q.stats;
    lines.push(`queue ${q.qid}: ${s.submitted} commands, ${s.completed} completions, ${s.interrupts} interrupts, ${s.pollTurns} poll turns, ${s.timedOut} timed out`);
  } finally {
    await c.close();
  }
  lines.push(`closed: queues deleted, controller disabled, DMA freed`);
  return { lines, ok };
}
