/**
 * VFIO as a user who is not root (guest booted with --iommu): given /dev/vfio/N (as a udev rule would) and a
 * RLIMIT_MEMLOCK, the user maps the BAR, allocates DMA memory and moves data with edu's engine; past the memlock
 * limit VFIO_IOMMU_MAP_DMA fails with ENOMEM and the RLIMIT_MEMLOCK hint, and nothing is left mapped. Without the
 * grant, opening the group gives EACCES with its hint.
 *
 * The user is appended to the guest's /etc/passwd (an overlay on a tmpfs: the host's files never change).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeForOtherUsers } from '../helpers/errors-table.js';
import { findVfioEdu } from './vfio-hw.js';

const USER = 'mmio-vfio';
const UID = 4343;
const GID = 4343;
let group: string;
let saved: { uid: number; gid: number } | undefined;

beforeAll(() => {
  findVfioEdu(); // throws outside the rig
  if (process.env.MMIO_VM === undefined || process.getuid?.() !== 0) {
    throw new Error('HARDWARE TEST CANNOT RUN HERE: the VFIO non-root test needs the QEMU guest (npm run test:vm), as root');
  }
  if (!readFileSync('/etc/passwd', 'utf8').includes(`${USER}:`)) {
    appendFileSync('/etc/group', `${USER}:x:${GID}:\n`);
    appendFileSync('/etc/passwd', `${USER}:x:${UID}:${GID}:mmio vfio test:/nonexistent:/usr/sbin/nologin\n`);
  }
  group = `/dev/vfio/${process.env.MMIO_VM_VFIO_GROUP}`;
});

afterAll(() => {
  if (saved !== undefined) chownSync(group, saved.uid, saved.gid);
});

const libUrl = new URL('../../dist/lib/index.js', import.meta.url).href;

/** Run `body` as the test user under `prlimit --memlock=<bytes>`; its JSON result. */
function runAs(memlock: number, body: string): any {
  const script = `
    const m = await import(${JSON.stringify(libUrl)});
    const bdf = ${JSON.stringify(findVfioEdu().bdf)};
    const result = await (async () => { ${body} })();
    process.stdout.write(JSON.stringify(result, (k, v) => (typeof v === 'bigint' ? v.toString() : v)));`;
  const res = spawnSync('prlimit', [`--memlock=${memlock}:${memlock}`, nodeForOtherUsers(), '--input-type=module', '-e', script], {
    uid: UID,
    gid: GID,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.status !== 0) throw new Error(`child as ${UID} failed (status ${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout);
}

describe('VFIO for a user who is not root', () => {
  it('without the group file: EACCES with the ownership hint', () => {
    const r = runAs(1 << 20, `
      try { m.openVfio(bdf); return { ok: true }; } catch (e) { return { code: e.code, hint: e.hint, uid: process.getuid() }; }`);
    expect(r.uid).toBe(UID);
    expect(r.code).toBe('EACCES');
    expect(r.hint).toMatch(/chown|udev/);
  });

  it('owning /dev/vfio/N with a 1 MiB memlock limit: BAR, DMA round trip; beyond the limit ENOMEM with the RLIMIT_MEMLOCK hint', () => {
    const st = statSync(group);
    saved = { uid: st.uid, gid: st.gid };
    chownSync(group, UID, GID);
    const r = runAs(1 << 20, `
      const dev = m.openVfio(bdf);
      const bar = dev.map(0);
      const id = bar.readl(0);
      m.pci_set_master(dev);
      m.dma_set_mask(dev, m.DMA_BIT_MASK(28));
      const a = m.dma_alloc_coherent(dev, 4096), b = m.dma_alloc_coherent(dev, 4096);
      a.cpu.fill(0x77);
      const dma = async (s, d, n, cmd) => { bar.writeq(s, 0x80); bar.writeq(d, 0x88); bar.writeq(BigInt(n), 0x90); bar.writeq(BigInt(cmd), 0x98);
        await bar.readl_poll_timeout(0x98, (v) => (v & 1) === 0, 1000, 5000000); };
      await dma(a.dma_handle, 0x40000n, 200, 1);
      await dma(0x40000n, b.dma_handle, 200, 3);
      const moved = b.cpu.subarray(0, 200).every((v) => v === 0x77);
      let big;
      try { m.dma_alloc_coherent(dev, 4 << 20); big = { ok: true }; } catch (e) { big = { code: e.code, ioctl: e.ioctl, hint: e.hint }; }
      const live = dev.dmaBuffers;
      dev.close();
      return { id, moved, big, live };`);
    expect(r.id).toBe(0x010000ed);
    expect(r.moved).toBe(true);
    expect(r.big).toMatchObject({ code: 'ENOMEM', ioctl: 'VFIO_IOMMU_MAP_DMA' });
    expect(r.big.hint).toMatch(/RLIMIT_MEMLOCK/);
    expect(r.live).toBe(2); // the failed allocation left nothing behind
  });
});
