/**
 * The `mmio` command line against the real QEMU edu in the guest (`npm run test:vm`): the same register read
 * through every target form (UIO by number and by name, the PCI BAR by BDF and by IDs, /dev/mem at the BAR's
 * physical address), width exactness seen from the shell, writes that the device answers, dumps that agree
 * across backends, the listings, and the library's errors with their codes and hints.
 *
 * It runs dist/cli/mmio.js, built on the host (`npm run build`; .ci/run builds it through `npm ci`).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { EDU_ID, findEduHardware, type EduHardware } from './edu-hw.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../dist/cli/mmio.js');

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function mmio(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

/** The first System RAM range above 32 MiB, from /proc/iomem (root sees the addresses). */
function systemRamAddress(): bigint {
  for (const line of readFileSync('/proc/iomem', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) : System RAM$/.exec(line.trim());
    if (m && BigInt(`0x${m[2]}`) > 0x2000000n) return BigInt(`0x${m[1]}`) > 0x1000000n ? BigInt(`0x${m[1]}`) : 0x1000000n;
  }
  throw new Error('no System RAM line in /proc/iomem');
}

let hw: EduHardware;
let uio: string; // uioN
let bdf: string;
let bar0: bigint;
const ID = `0x${EDU_ID.toString(16).padStart(8, '0')}\n`;

beforeAll(() => {
  hw = findEduHardware();
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build on the host first`);
  uio = `uio${hw.uio.number}`;
  bdf = hw.uioEdu.bdf;
  bar0 = hw.uioEdu.bars[0].start;
});

describe('mmio read on the real edu, through every target form', () => {
  it('UIO by number and by name, the BAR by BDF and by IDs, /dev/mem at the physical address', async () => {
    // Each command costs about a second in the guest (node's start under TCG), so one target per form; the
    // variants of each form (uio0+0x0, /dev/uio0:map0, 00:04.0:bar0…) are parsed in test/cli.test.ts.
    const targets = [`${uio}:map0`, 'uio_pci_generic:map0', `${bdf}:bar0`, '1234:11e8:bar0', `0x${bar0.toString(16)}`];
    for (const target of targets) {
      expect(await mmio('read', target), target).toEqual({ status: 0, stdout: ID, stderr: '' });
    }
  });

  it('the edu that no driver holds reads the same through its BAR', async () => {
    if (hw.freeEdu === undefined) throw new Error('the rig should provide a second, unbound edu');
    expect((await mmio('read', `${hw.freeEdu.bdf}:bar0`)).stdout).toBe(ID);
  });

  it('width is exact from the shell: edu answers 0 to 8- and 16-bit reads, the ID to 32-bit ones', async () => {
    expect((await mmio('read', `${uio}:map0`, 'b')).stdout).toBe('0x00\n');
    expect((await mmio('read', `${bdf}:bar0`, 'h')).stdout).toBe('0x0000\n');
    expect((await mmio('md', '-b', `${uio}:map0`, '4')).stdout).toMatch(/^00000000: 00 00 00 00 /);
  });

  it('--json names the device file and the physical address', async () => {
    const r = JSON.parse((await mmio('read', `${uio}:map0+0x0`, '--json')).stdout) as Record<string, unknown>;
    expect(r).toMatchObject({ path: `/dev/${uio}`, phys: `0x${bar0.toString(16)}`, width: 32, value: ID.trim() });
  });
});

describe('mmio write, mw and md on the real edu', () => {
  it('liveness: what is written to 0x04 reads back inverted, through the BAR, UIO and /dev/mem', async () => {
    expect((await mmio('write', `${bdf}:bar0+0x4`, 'w', '0x12345678', '--readback')).stdout).toBe(
      'wrote 0x12345678, read back 0xedcba987\n',
    );
    expect((await mmio('read', `${uio}:map0+0x4`)).stdout).toBe('0xedcba987\n');
    expect((await mmio('mw', `0x${(bar0 + 4n).toString(16)}`, '0x0f0f0f0f')).status).toBe(0);
    expect((await mmio('read', `${uio}+0x4`)).stdout).toBe('0xf0f0f0f0\n');
  });

  it('the factorial: write 5 to 0x08 in one command, read 120 in the next', async () => {
    expect((await mmio('write', `${uio}:map0+0x8`, 'w', '5')).status).toBe(0);
    expect((await mmio('read', `${uio}:map0+0x8`)).stdout).toBe('0x00000078\n');
  });

  it('md shows the same registers through UIO, the BAR and /dev/mem (--phys: the same addresses)', async () => {
    const viaUio = await mmio('md', `${uio}:map0+0-0x2f`, '--phys');
    const viaBar = await mmio('md', `${bdf}:bar0+0+0x30`, '--phys');
    const viaMem = await mmio('md', `0x${bar0.toString(16)}+0x30`);
    expect(viaUio.status).toBe(0);
    expect(viaUio.stdout.split('\n')[0]).toMatch(new RegExp(`^${bar0.toString(16).padStart(8, '0')}: 010000ed `));
    expect(viaBar.stdout).toBe(viaUio.stdout);
    expect(viaMem.stdout).toBe(viaUio.stdout);
  });
});

describe('listings in the guest', () => {
  it('uio list: the edu bound to uio_pci_generic with its 1 MiB map and interrupt count', async () => {
    const text = await mmio('uio', 'list');
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`${uio}  uio_pci_generic  version `);
    expect(text.stdout).toContain(`pci ${bdf}`);
    expect(text.stdout).toContain(`map0  addr 0x${bar0.toString(16)}  size 0x100000 (1 MiB)  offset 0x0`);
    const json = JSON.parse((await mmio('uio', 'list', '--json')).stdout) as Array<Record<string, unknown>>;
    expect(json).toContainEqual(
      expect.objectContaining({
        device: uio,
        name: 'uio_pci_generic',
        pciAddress: bdf,
        events: expect.any(Number),
        devicePath: `/dev/${uio}`,
        maps: [expect.objectContaining({ index: 0, addr: `0x${bar0.toString(16)}`, size: 0x100000, offset: 0 })],
      }),
    );
  });

  it('pci list 1234:11e8: every edu of the rig, their drivers, BAR0 of 1 MiB, 32-bit non-prefetchable memory', async () => {
    const text = await mmio('pci', 'list', '1234:11e8');
    expect(text.stdout).toContain(`${bdf}  1234:11e8  class 00ff00  driver uio_pci_generic`);
    expect(text.stdout).toContain(`bar0  mem  0x${bar0.toString(16)}  size 0x100000 (1 MiB)  32-bit, non-prefetchable`);
    const json = JSON.parse((await mmio('pci', 'list', '1234:11e8', '--json')).stdout) as Array<Record<string, unknown>>;
    const edus = (process.env.MMIO_VM_EDU ?? '').split(' ').filter(Boolean);
    expect(json).toHaveLength(edus.length); // 3 with --iommu (uio_pci_generic, none, vfio-pci), else 2
    expect(json[0]).toMatchObject({
      bdf,
      vendor: '0x1234',
      device: '0x11e8',
      driver: 'uio_pci_generic',
      bars: [expect.objectContaining({ index: 0, type: 'mem', start: `0x${bar0.toString(16)}`, size: '0x100000', prefetchable: false })],
    });
    expect(json[1]).toMatchObject({ driver: null });
    if (process.env.MMIO_VM_EDU_VFIO) expect(json.at(-1)).toMatchObject({ bdf: process.env.MMIO_VM_EDU_VFIO, driver: 'vfio-pci' });
  });
});

describe('errors from the real kernel, as the library gives them', () => {
  it('/dev/mem over System RAM: exit 1, EPERM with the STRICT_DEVMEM hint', async () => {
    const r = await mmio('read', `0x${systemRamAddress().toString(16)}`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mmio: EPERM: operation not permitted, mmap '\/dev\/mem'\n {2}code: EPERM \(errno -1, syscall mmap, path \/dev\/mem\)\n {2}hint: .*STRICT_DEVMEM/);
    const json = JSON.parse((await mmio('read', `0x${systemRamAddress().toString(16)}`, '--json')).stderr) as {
      error: Record<string, unknown>;
    };
    expect(json.error).toMatchObject({ code: 'EPERM', errno: -1, syscall: 'mmap', path: '/dev/mem' });
  });

  it('no such UIO device, map or BAR: exit 1, naming what there is', async () => {
    const noDev = await mmio('read', 'uio9:map0');
    expect(noDev.status).toBe(1);
    expect(noDev.stderr).toContain('code: ENOENT');
    expect(noDev.stderr).toContain(`${uio} (uio_pci_generic)`);
    const noMap = await mmio('read', `${uio}:map3`);
    expect(noMap.status).toBe(1);
    expect(noMap.stderr).toContain('has no map3; it has: map0');
    const noBar = await mmio('read', `${bdf}:bar5`);
    expect(noBar.status).toBe(1);
    expect(noBar.stderr).toContain('code: ERR_OUT_OF_RANGE');
  });
});
