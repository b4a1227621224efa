/**
 * The NVMe example's command line:
 *
 *   node dist/examples/nvme/run.js sim                   the simulated controller (a RAM disk with a known pattern)
 *   node dist/examples/nvme/run.js 0000:00:04.0          a controller bound to vfio-pci (BDF, or vendor:device)
 *   options:
 *     --completion poll|interrupt   how completions are noticed (default poll)
 *     --lba N                       first LBA read (default 0)
 *     --blocks N                    blocks of the multi-page read (default 64)
 *     --write-lba N                 also write a pattern there, read it back, restore the old contents
 *     --timeout-ms N                command timeout (default 5000)
 *
 * It prints the Identify data, reads `blocks` blocks one by one and as one transfer and compares them (and, on the
 * simulator, with the RAM disk), and exits with status 1 if anything differed or failed.
 * @module
 */
import { parseArgs } from 'node:util';
import { openVfio } from '../../lib/index.js';
import { runNvmeDemo, type NvmeDemoOptions } from './demo.js';
import { createSimNvme } from './sim-controller.js';

/** Parse the command line into the target and the demo's options. @throws Error with a usage line for bad arguments. */
export function parseNvmeArgs(argv: string[]): { target: string; options: NvmeDemoOptions } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      completion: { type: 'string', default: 'poll' },
      lba: { type: 'string', default: '0' },
      blocks: { type: 'string', default: '64' },
      'write-lba': { type: 'string' },
      'timeout-ms': { type: 'string', default: '5000' },
    },
  });
  const usage = 'usage: run.js <sim|BDF|vendor:device> [--completion poll|interrupt] [--lba N] [--blocks N] [--write-lba N] [--timeout-ms N]';
  if (positionals.length !== 1) throw new Error(usage);
  const completion = values.completion;
  if (completion !== 'poll' && completion !== 'interrupt') throw new Error(`--completion must be poll or interrupt\n${usage}`);
  const int = (s: string, what: string): number => {
    if (!/^\d+$/.test(s)) throw new Error(`${what} must be a non-negative integer, got '${s}'\n${usage}`);
    return Number(s);
  };
  const positive = (s: string, what: string): number => {
    if (!/^\d+$/.test(s) || Number(s) < 1) throw new Error(`${what} must be a positive integer, got '${s}'\n${usage}`);
    return Number(s);
  };
  const big = (s: string, what: string): bigint => {
    if (!/^\d+$/.test(s)) throw new Error(`${what} must be a non-negative integer, got '${s}'\n${usage}`);
    return BigInt(s);
  };
  return {
    target: positionals[0],
    options: {
      completion,
      lba: big(values.lba, '--lba'),
      blocks: positive(values.blocks, '--blocks'),
      writeLba: values['write-lba'] === undefined ? undefined : big(values['write-lba'], '--write-lba'),
      timeoutMs: int(values['timeout-ms'], '--timeout-ms'),
    },
  };
}

async function main(): Promise<number> {
  const { target, options } = parseNvmeArgs(process.argv.slice(2));
  if (target === 'sim') {
    const sim = createSimNvme({ blocks: 16384 });
    for (let i = 0; i < sim.namespace.length; i++) sim.namespace[i] = (i * 7 + (i >>> 9)) & 0xff; // a known pattern
    try {
      const result = await runNvmeDemo(sim.device, {
        ...options,
        expected: (lba, blocks) => sim.namespace.slice(Number(lba) * sim.blockSize, (Number(lba) + blocks) * sim.blockSize),
      });
      console.log(result.lines.join('\n'));
      console.log(`DMA buffers still mapped: ${sim.liveDmaBuffers}`);
      return result.ok && sim.liveDmaBuffers === 0 ? 0 : 1;
    } finally {
      sim.close();
    }
  }
  const dev = openVfio(target);
  try {
    const result = await runNvmeDemo(dev, options);
    console.log(result.lines.join('\n'));
    return result.ok ? 0 : 1;
  } finally {
    dev.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      const err = e as { message?: string; code?: string };
      const message = err.message ?? String(e);
      const prefix = err.code !== undefined && !message.startsWith(err.code) ? `${err.code}: ` : '';
      console.error(`nvme: ${prefix}${message}`);
      process.exitCode = 1;
    },
  );
}
