/**
 * lib/core/errors.ts: Node's fs message shape (libuv's description, as fs writes it) and hints that fit the
 * case: the file kind (/dev/mem, /dev/uioN, PCI sysfs, /dev/gpiomem, a plain file) and what the call was doing.
 * The read-write EACCES case runs for real as an unprivileged user in a child process (when this is root).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errnoMessage, readOnlyError, systemError, systemErrorByCode } from '../../lib/core/errors.js';

const ENOENT = 2;
const EACCES = 13;

describe('message shape: as fs writes it', () => {
  it('matches the error fs itself throws for the same missing file', () => {
    let fsError: NodeJS.ErrnoException | undefined;
    try {
      openSync('/nonexistent/mmio-x', 'r');
    } catch (e) {
      fsError = e as NodeJS.ErrnoException;
    }
    const ours = systemError(ENOENT, 'open', '/nonexistent/mmio-x');
    expect(fsError?.message).toBe("ENOENT: no such file or directory, open '/nonexistent/mmio-x'");
    expect(ours.message.startsWith(`${fsError!.message} (`)).toBe(true);
    expect([ours.code, ours.errno, ours.syscall, ours.path]).toEqual([fsError!.code, fsError!.errno, fsError!.syscall, fsError!.path]);
    expect(ours.message).toBe(`${fsError!.message} (${ours.hint})`);
  });

  it('without a path: `<code>: <description>, <syscall>`', () => {
    const e = systemErrorByCode('EPERM', 'ioperm');
    expect(e.message).toMatch(/^EPERM: operation not permitted, ioperm \(/);
    expect(e.path).toBeUndefined();
  });

  it('libuv descriptions', () => {
    expect(errnoMessage(21)).toBe('illegal operation on a directory');
    expect(errnoMessage(-13)).toBe('permission denied');
  });
});

describe('hints fit the case', () => {
  const hint = (errno: number, path: string, readWrite?: boolean) => systemError(errno, 'open', path, undefined, { readWrite }).hint;

  it('ENOENT: only UIO paths talk about loading UIO drivers', () => {
    expect(hint(ENOENT, '/dev/uio7')).toMatch(/modprobe uio_pdrv_genirq or uio_pci_generic/);
    for (const p of ['/dev/mem', '/tmp/x.bin', '/sys/bus/pci/devices/0000:00:04.0/resource0', '/dev/gpiomem']) {
      expect(hint(ENOENT, p)).not.toMatch(/modprobe|uio_p/);
    }
    expect(hint(ENOENT, '/dev/mem')).toMatch(/CONFIG_DEVMEM/);
    expect(hint(ENOENT, '/tmp/x.bin')).toBe('check the path.');
    expect(hint(ENOENT, '/sys/bus/pci/devices/0000:00:04.0/resource0')).toMatch(/listPciDevices/);
    expect(hint(ENOENT, '/dev/gpiomem0')).toMatch(/RP1/);
  });

  it('EISDIR says it is a folder', () => {
    expect(hint(21, '/tmp')).toMatch(/^this is a folder/);
  });

  it('EACCES: read-write suggests { readOnly: true }; /dev/mem and UIO get their own', () => {
    expect(hint(EACCES, '/tmp/x.bin', true)).toMatch(/\{ readOnly: true \}/);
    expect(hint(EACCES, '/tmp/x.bin', false)).not.toMatch(/readOnly/);
    expect(hint(EACCES, '/dev/mem', true)).toMatch(/CAP_SYS_RAWIO/);
    expect(hint(EACCES, '/dev/uio0', true)).toMatch(/SUBSYSTEM=="uio"/);
  });

  it('ERR_IOMEM_READONLY names the call, path and offset', () => {
    const e = readOnlyError('writel', '/dev/uio0', 0x40);
    expect(e.message).toBe("writel at offset 0x40 of '/dev/uio0': region was mapped read-only ({ readOnly: true }); map it again without readOnly to write");
    expect([e.code, e.path, e.offset]).toEqual(['ERR_IOMEM_READONLY', '/dev/uio0', 0x40]);
  });
});

describe.skipIf(process.getuid?.() !== 0)('a 0644 file mapped read-write by a user who does not own it (child process as nobody)', () => {
  it('EACCES with the readOnly hint; { readOnly: true } then works', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmio-eacces-'));
    chmodSync(dir, 0o755);
    const file = join(dir, 'regs.bin');
    writeFileSync(file, Buffer.alloc(4096, 0xab));
    chmodSync(file, 0o644);
    const lib = new URL('../../dist/lib/index.js', import.meta.url).href;
    const script = `
      const { mapFile } = await import(${JSON.stringify(lib)});
      let rw;
      try { mapFile(${JSON.stringify(file)}, 0, 4096); } catch (e) { rw = { code: e.code, message: e.message, hint: e.hint }; }
      const r = mapFile(${JSON.stringify(file)}, 0, 4096, { readOnly: true });
      console.log(JSON.stringify({ rw, byte: r.readb(0) }));`;
    // This node as nobody may reach it: CI's pinned Node builds live under /root (mode 0700), so use a copy.
    const node = join(dir, 'node');
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
    const run = spawnSync(node, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(run.error).toBeUndefined();
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout);
    expect(out.rw.code).toBe('EACCES');
    expect(out.rw.message).toMatch(new RegExp(`^EACCES: permission denied, open '${file}' \\(no write access: if you only read, map it with \\{ readOnly: true \\}`));
    expect(out.byte).toBe(0xab);
  });
});
