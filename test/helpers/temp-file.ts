import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** How many of this process's mappings (/proc/self/maps lines) are of `path`: 0 once nothing is left mapped. */
export function mappingsOf(path: string): number {
  return readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith(path)).length;
}

/** The number of open file descriptors of this process. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
