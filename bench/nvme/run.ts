/**
 * `npm run bench:nvme [-- options]`: the TypeScript NVMe driver (examples/nvme, polling and MSI-X interrupt modes)
 * side by side with the kernel's nvme driver, 4 KiB random reads at queue depth 1 and 32, in ONE guest boot
 * (`test/vm/run.sh --iommu --nvme-kernel`: two identical QEMU NVMe controllers over identically patterned 64 MiB
 * images, the first on vfio-pci, the second on the kernel's nvme driver). Builds bench/nvme/kernel-reads.c with the
 * host's cc, runs bench/nvme/guest.ts in the guest, prints its table and saves it with the QEMU version.
 *
 * Options (passed on to guest.ts): --rounds N (5), --qd1 COUNT (1000), --qd32 COUNT (4000), --warm-up COUNT (100),
 * --poll-spin-us US (the driver's pollSpinUs in polling mode; default the driver's own), --warm-up-rounds N (2: whole
 * rounds first, not recorded, while V8's JIT settles under TCG);
 * and --out DIR (default bench/out, git-ignored) where nvme.md and nvme.json go, --no-save.
 * Emulation figures (QEMU TCG on this host), not hardware: the ratios are the result.
 * @module
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildC } from '../c-build.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string' },
    qd1: { type: 'string' },
    qd32: { type: 'string' },
    'warm-up': { type: 'string' },
    'poll-spin-us': { type: 'string' },
    'warm-up-rounds': { type: 'string' },
    out: { type: 'string', default: join(repo, 'bench', 'out') },
    'no-save': { type: 'boolean', default: false },
  },
});
const pass = (['rounds', 'qd1', 'qd32', 'warm-up', 'poll-spin-us', 'warm-up-rounds'] as const).flatMap((k) => (opts[k] === undefined ? [] : [`--${k}`, opts[k]!]));

const c = buildC(join(repo, 'bench', 'nvme', 'kernel-reads.c'), join(repo, 'node_modules', '.cache', 'mmio-bench'));
const qemu = execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0];
process.stderr.write(`built ${c.binary} (${c.compiler}); ${qemu}; booting the guest…\n`);
const started = Date.now();
const r = spawnSync(join(repo, 'test', 'vm', 'run.sh'), ['--iommu', '--nvme-kernel', '--', process.execPath, join(repo, 'dist', 'bench', 'nvme', 'guest.js'), '--c-binary', c.binary, ...pass], {
  cwd: repo,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
  maxBuffer: 16 << 20,
});
const stdout = r.stdout ?? '';
const jsonLine = stdout.split('\n').find((l) => l.startsWith('NVME-BENCH-JSON '));
process.stdout.write(stdout.split('\n').filter((l) => !l.startsWith('NVME-BENCH-JSON ')).join('\n'));
if (r.status !== 0 || jsonLine === undefined) {
  process.stderr.write(`\nbench:nvme FAILED: the guest run exited ${r.status ?? r.signal}${jsonLine === undefined ? ' without results' : ''}\n`);
  process.exit(1);
}
const results = JSON.parse(jsonLine.slice('NVME-BENCH-JSON '.length)) as Record<string, unknown>;
const table = stdout.split('\n').filter((l) => l.startsWith('|') || l.startsWith('4 KiB'));
const host = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`;
const md = [
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:nvme\` in one guest boot (${((Date.now() - started) / 1000).toFixed(0)} s): ${qemu}, TCG (no KVM) on ${host}; node ${process.version}; kernel-reads.c built by ${c.compiler}. Emulation figures, not hardware.`,
  '',
  ...table,
  '',
].join('\n');
process.stdout.write('\n');
if (!opts['no-save']) {
  mkdirSync(opts.out!, { recursive: true });
  writeFileSync(join(opts.out!, 'nvme.md'), md);
  writeFileSync(join(opts.out!, 'nvme.json'), `${JSON.stringify({ ...results, qemu, host, node: process.version, compiler: c.compiler, date: new Date().toISOString() }, null, 2)}\n`);
  process.stderr.write(`saved ${join(opts.out!, 'nvme.md')} and nvme.json\n`);
}
