/**
 * The kernel's ioremap family over /dev/mem (drivers/char/mem.c), or over another file given as
 * `options.path`. Each variant is mapped honestly:
 * - `ioremap`, `ioremap_uc`: uncached — /dev/mem opened with O_SYNC.
 * - `ioremap_cache`: cached — opened without O_SYNC (for memory-like regions, e.g. reserved RAM or SRAM).
 * - `ioremap_wc`: write-combining, only where the kernel offers it to user space: a PCI `resourceN` path is
 *   mapped through its `resourceN_wc` sibling; anything else throws ENOTSUP.
 * - `ioremap_np`: non-posted (arm64 nGnRnE) cannot be requested from user space: always ENOTSUP.
 * @module
 */
import { checkObject, checkOptions, describe } from '../core/checks.js';
import { systemErrorByCode, typeError } from '../core/errors.js';
import type { IoRegion } from '../core/io-region.js';
import { mapFile } from './map-file.js';

/** Options of the ioremap family. */
export interface IoremapOptions {
  /** The file to map; `phys` is a byte offset into it. Default `/dev/mem` (then `phys` is a physical address). */
  path?: string;
  /** Map read-only (O_RDONLY, PROT_READ): writes throw `ERR_IOMEM_READONLY`. Default false. */
  readOnly?: boolean;
}

const DEV_MEM = '/dev/mem';

/**
 * Map `size` bytes of I/O memory at physical address `phys`, uncached (kernel `ioremap`, here through
 * /dev/mem opened O_RDWR|O_SYNC). `phys` need not be page-aligned.
 * @param phys physical address (bigint up to 2^64-1, or a non-negative safe integer), or a byte offset into
 *   `options.path`
 * @param size length in bytes, > 0
 * @returns an {@link IoRegion}; unmap it with `iounmap()` (or `using`).
 * @throws SystemError `EACCES` (not root / no access: use UIO or resourceN with a udev rule), `EPERM`
 *   (STRICT_DEVMEM refused the range), `ENOENT`, `EINVAL`, `ENXIO` (past the end of a regular file);
 *   TypeError/RangeError `ERR_INVALID_ARG_TYPE`/`ERR_OUT_OF_RANGE` for bad arguments.
 */
export function ioremap(phys: bigint | number, size: number, options: IoremapOptions = {}): IoRegion {
  options = checkOptions(options);
  return mapFile(options.path ?? DEV_MEM, phys, size, { sync: true, readOnly: options.readOnly });
}

/** Same as {@link ioremap}: uncached (kernel `ioremap_uc`). */
export function ioremap_uc(phys: bigint | number, size: number, options: IoremapOptions = {}): IoRegion {
  options = checkOptions(options);
  return ioremap(phys, size, options);
}

/**
 * Cached mapping (kernel `ioremap_cache`): the file is opened without O_SYNC. For memory-like regions only;
 * never for registers. Throws as {@link ioremap}.
 */
export function ioremap_cache(phys: bigint | number, size: number, options: IoremapOptions = {}): IoRegion {
  options = checkOptions(options);
  return mapFile(options.path ?? DEV_MEM, phys, size, { sync: false, readOnly: options.readOnly });
}

const RESOURCE_FILE = /\/resource\d+$/;

/**
 * Write-combining mapping (kernel `ioremap_wc`): possible from user space only through a PCI BAR's
 * `resourceN_wc` file (prefetchable BARs). Pass the `resourceN` path in `options.path`.
 * @throws SystemError `ENOTSUP` when `options.path` is not a PCI `resourceN` file; otherwise as {@link ioremap}
 *   (`ENOENT` when the BAR has no `_wc` file because it is not prefetchable).
 */
export function ioremap_wc(phys: bigint | number, size: number, options: IoremapOptions = {}): IoRegion {
  options = checkOptions(options);
  const path = options.path ?? DEV_MEM;
  if (!RESOURCE_FILE.test(path)) {
    throw systemErrorByCode(
      'ENOTSUP',
      'ioremap_wc',
      path,
      'write-combining is only available through a PCI resourceN_wc file: pass the BAR\'s resourceN path',
    );
  }
  return mapFile(`${path}_wc`, phys, size, { sync: true, readOnly: options.readOnly });
}

/**
 * Non-posted mapping (kernel `ioremap_np`, arm64 Device-nGnRnE): user space cannot ask for it.
 * @throws SystemError `ENOTSUP`, always.
 */
export function ioremap_np(_phys: bigint | number, _size: number, options: IoremapOptions = {}): IoRegion {
  options = checkOptions(options);
  throw systemErrorByCode(
    'ENOTSUP',
    'ioremap_np',
    options.path ?? DEV_MEM,
    'non-posted (nGnRnE) mappings cannot be requested from user space; use ioremap',
  );
}

/** Unmap a region (kernel `iounmap`); same as `region.iounmap()`. A second call does nothing. */
export function iounmap(region: IoRegion): void {
  checkObject(region, 'region');
  if (typeof (region as Partial<IoRegion>).iounmap !== 'function') {
    throw typeError('ERR_INVALID_ARG_TYPE', `region must be an IoRegion (from ioremap, mapFile, a UIO or PCI map), got ${describe(region)}`, 'pass the region that ioremap, mapFile or a UIO/PCI map() returned.');
  }
  region.iounmap();
}
