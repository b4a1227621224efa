/**
 * `npm run bench:vfio`: VFIO figures in the QEMU guest (test/vm/run.sh --iommu --nvme): MAP_DMA/UNMAP_DMA cost
 * per size against allocation without the IOMMU, interrupt wake-up (INTx, MSI on edu; MSI-X on QEMU's NVMe, by a
 * kernel-side trigger and by a command completion) of awaiting JS against C programs blocked on the same kind of
 * eventfd, and an edu DMA round trip. Builds the C programs (vfio-irq-latency.c, nvme-irq-latency.c) with the
 * host's cc, boots the guest with bench/vfio/guest.ts, prints its table. Options are passed to guest.ts.
 * Emulation figures, not hardware.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC } from '../c-build.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cache = join(repo, 'node_modules', '.cache', 'mmio-bench');
const c = buildC(join(repo, 'bench', 'vfio', 'vfio-irq-latency.c'), cache);
const nvme = buildC(join(repo, 'bench', 'vfio', 'nvme-irq-latency.c'), cache);
process.stderr.write(`built ${c.binary} and ${nvme.binary} (${c.compiler}); booting the guest…\n`);
const r = spawnSync(join(repo, 'test', 'vm', 'run.sh'), ['--iommu', '--nvme', '--', process.execPath, join(repo, 'dist', 'bench', 'vfio', 'guest.js'), '--c-binary', c.binary, '--nvme-binary', nvme.binary, ...process.argv.slice(2)], {
  cwd: repo,
  stdio: 'inherit',
});
process.exitCode = r.status ?? 1;
