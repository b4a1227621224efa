/**
 * Small readers for sysfs attribute files (one value per file, trailing newline).
 * @module
 */
import { readFileSync } from 'node:fs';

/** The file's text without its trailing newline, or undefined when it does not exist or cannot be read. */
export function readAttr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').replace(/\n$/, '');
  } catch {
    return undefined;
  }
}

/** A hexadecimal (0x…) or decimal attribute as a bigint, or undefined. */
export function readBigAttr(path: string): bigint | undefined {
  const text = readAttr(path);
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return BigInt(text.trim());
  } catch {
    return undefined;
  }
}
