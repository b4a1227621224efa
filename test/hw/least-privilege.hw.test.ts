/**
 * Least privilege, in the QEMU guest: a user who is not root, given one UIO device the way a udev rule would
 * (docs/recipes.md, "udev rules": group `mmio`, mode 0660 on /dev/uioN, and group-write on the PCI device's `config`,
 * which uio_pci_generic unmasking needs), drives the edu fully through it: identity, liveness, the factorial
 * through a sleeping poll, interrupt round trips, and a request_mem_region claim in the shared claim folder that
 * root made first. The same user gets EACCES with the hint on /dev/mem and on the PCI resource file, and EPERM
 * from port I/O.
 *
 * The user and group are appended to the guest's /etc/passwd and /etc/group: the guest's root is an overlay
 * whose upper layer is a tmpfs, so the host's files never change (and the test refuses to run outside the rig).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, readFileSync, rmSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request_mem_region } from '../../lib/index.js';
import { nodeForOtherUsers } from '../helpers/errors-table.js';
import { findEduHardware, type EduHardware } from './edu-hw.js';

const USER = 'mmio-driver';
const GROUP = 'mmio';
const UID = 4242;
const GID = 4242;
/** A claim folder of this test's own, so root makes it (and the lock file) first, as on a shared system. */
const LOCK_DIR = '/run/lock/mmio-least-privilege';

let hw: EduHardware;
let config: string;
const saved: Array<{ path: string; uid: number; gid: number; mode: number }> = [];

/** Give `path` to root:GROUP with `mode`, as a udev rule's GROUP/MODE (or RUN+="chgrp/chmod") would. */
function grant(path: string, mode: number): void {
  const st = statSync(path);
  saved.push({ path, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 });
  chownSync(path, 0, GID);
  chmodSync(path, mode);
}

beforeAll(() => {
  hw = findEduHardware(); // throws outside the rig: never touch a real system's users
  if (process.env.MMIO_VM === undefined || process.getuid?.() !== 0) {
    throw new Error('HARDWARE TEST CANNOT RUN HERE: least-privilege needs the QEMU guest (npm run test:vm), as root');
  }
  if (!readFileSync('/etc/passwd', 'utf8').includes(`${USER}:`)) {
    appendFileSync('/etc/group', `${GROUP}:x:${GID}:${USER}\n`);
    appendFileSync('/etc/passwd', `${USER}:x:${UID}:${GID}:mmio test driver:/nonexistent:/usr/sbin/nologin\n`);
  }
  config = `${hw.uioEdu.sysfsPath}/config`;
  grant(hw.uio.devicePath, 0o660);
  grant(config, 0o660);
  // Root claims first: the claim folder and its lock file now belong to root, as after any earlier root driver.
  rmSync(LOCK_DIR, { recursive: true, force: true });
  process.env.MMIO_LOCK_DIR = LOCK_DIR;
  request_mem_region(hw.uioEdu.bars[0].start, 0x1000, 'root-first').release();
  delete process.env.MMIO_LOCK_DIR;
});

afterAll(() => {
  for (const { path, uid, gid, mode } of saved.splice(0).reverse()) {
    chownSync(path, uid, gid);
    chmodSync(path, mode);
  }
  rmSync(LOCK_DIR, { recursive: true, force: true });
});

const libUrl = new URL('../../dist/lib/index.js', import.meta.url).href;
const driverUrl = new URL('../../dist/examples/edu/driver.js', import.meta.url).href;

/** Run `body` (an async function body; `m` is the library, `edu` the example driver) as `uid`:`gid`; its JSON result. */
function runAs(uid: number, gid: number, body: string): any {
  const script = `
    const m = await import(${JSON.stringify(libUrl)});
    const edu = await import(${JSON.stringify(driverUrl)});
    const result = await (async () => { ${body} })();
    process.stdout.write(JSON.stringify(result, (k, v) => (typeof v === 'bigint' ? v.toString() : v)));`;
  const res = spawnSync(nodeForOtherUsers(), ['--input-type=module', '-e', script], {
    uid,
    gid,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, MMIO_LOCK_DIR: LOCK_DIR },
  });
  if (res.status !== 0) throw new Error(`child as ${uid}:${gid} failed (status ${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout);
}

/** The error a call throws, as { code, message, hint }. */
const caught = (call: string) => `
  try { ${call}; return { ok: true }; }
  catch (e) { return { code: e.code, message: e.message, hint: e.hint }; }`;

describe('a non-root user with a udev-style grant on one /dev/uioN', () => {
  it('is not root and has only the device group', () => {
    const who = runAs(UID, GID, 'return { uid: process.getuid(), gid: process.getgid(), groups: process.getgroups() };');
    expect(who).toEqual({ uid: UID, gid: GID, groups: [GID] }); // Node always lists the effective gid; no others
  });

  it('drives the edu fully through UIO: identity, liveness, factorial (poll), interrupts, a claim', () => {
    const result = runAs(
      UID,
      GID,
      `
      const dev = m.openUio('uio_pci_generic');
      const regs = dev.map(0);
      const id = regs.readl(edu.EDU_REG_ID);
      regs.writel(0x12345678, edu.EDU_REG_LIVENESS);
      const liveness = regs.readl(edu.EDU_REG_LIVENESS);
      const factorial = await edu.eduFactorial(regs, 10);
      const irqs = [];
      dev.irq.unmask();
      for (let i = 0; i < 5; i++) {
        regs.writel(1 << i, edu.EDU_REG_IRQ_RAISE);
        const event = await dev.irq.wait({ timeoutMs: 5000 });
        const status = regs.readl(edu.EDU_REG_IRQ_STATUS);
        regs.writel(status, edu.EDU_REG_IRQ_ACK);
        dev.irq.unmask();
        irqs.push({ status, missed: event.missed });
      }
      const claim = m.request_mem_region(regs.phys, 0x1000, 'edu-as-user');
      let refused;
      try { m.request_mem_region(regs.phys, 4, 'second'); } catch (e) { refused = e.code; }
      claim.release();
      dev.close();
      return { id, liveness, factorial, irqs, refused, mapped: regs.mapped };
    `,
    );
    expect(result).toEqual({
      id: 0x010000ed,
      liveness: ~0x12345678 >>> 0,
      factorial: 3628800,
      irqs: [1, 2, 4, 8, 16].map((status) => ({ status, missed: 0 })),
      refused: 'EBUSY',
      mapped: false,
    });
  });

  it('gets EACCES with the hint on /dev/mem and on the PCI resource file, EPERM on port I/O', () => {
    const bar0 = `0x${hw.uioEdu.bars[0].start.toString(16)}n`;
    const devmem = runAs(UID, GID, caught(`m.ioremap(${bar0}, 0x1000)`));
    expect(devmem).toEqual({
      code: 'EACCES',
      message: "EACCES: permission denied, open '/dev/mem' (/dev/mem needs root (CAP_SYS_RAWIO); use a UIO device or a PCI resourceN file with a udev rule instead.)",
      hint: '/dev/mem needs root (CAP_SYS_RAWIO); use a UIO device or a PCI resourceN file with a udev rule instead.',
    });
    const resource = runAs(UID, GID, caught(`m.openPci(${JSON.stringify(hw.uioEdu.bdf)}).map(0, { size: 0x1000 })`));
    expect(resource).toMatchObject({ code: 'EACCES', hint: expect.stringContaining('udev rule') });
    const port = runAs(UID, GID, caught('m.inb(0x71)'));
    expect(port).toMatchObject({ code: 'EPERM', hint: expect.stringContaining('CAP_SYS_RAWIO') });
  });

  it('without the group, the same device is refused with EACCES', () => {
    const other = runAs(65534, 65534, caught("m.openUio('uio_pci_generic')"));
    expect(other).toMatchObject({ code: 'EACCES', message: expect.stringContaining(hw.uio.devicePath), hint: expect.stringContaining('udev rule') });
  });
});
