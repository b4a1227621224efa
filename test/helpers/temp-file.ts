import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh file of `size` zero bytes (sparse where the filesystem allows), removed by `cleanup()`. */
export function tempFile(size: number, name = 'region.bin'): { path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'mmio-test-'));
  const path = join(dir, name);
  writeFileSync(path, '');
  const fd = openSync(path, 'r+');
  ftruncateSync(fd, size);
  closeSync(fd);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The number of open file descriptors of this process. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
