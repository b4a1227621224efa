/**
 * request_mem_region / release_mem_region (kernel/resource.c) for user space: a claim on a range of physical
 * addresses that other processes using mmio (and other claims in this process) respect.
 *
 * A claim is an open-file-description byte-range lock (fcntl F_OFD_SETLK) on a shared lock file, over the
 * bytes [start, start + n). The kernel drops it when its descriptor closes: on release, on iounmap of a
 * devm_ioremap_resource region, at exit, and when the process crashes or is killed. Beside the lock, a small
 * file names the holder, so a refused claim can say who has the range. Claims are advisory: they keep mmio
 * users apart, not other programs.
 *
 * The lock file is `$MMIO_LOCK_DIR/iomem.lock`, by default in /run/lock/mmio (else the temp dir).
 * @module
 */
import { closeSync, existsSync, fchmodSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addon } from './addon.js';
import { checkObject, checkOptions, describe } from '../core/checks.js';
import { rangeError, systemError, systemErrorByCode, typeError } from '../core/errors.js';
import type { IoRegion } from '../core/io-region.js';
import type { IoremapOptions } from './ioremap.js';
import { mapFile, toAddress } from './map-file.js';

const OFF_T_MAX = (1n << 63n) - 1n;

/** The folder that holds the lock file and the holders' name files. */
export function claimDirectory(): string {
  if (process.env.MMIO_LOCK_DIR) return process.env.MMIO_LOCK_DIR;
  return existsSync('/run/lock') ? '/run/lock/mmio' : join(tmpdir(), 'mmio-lock');
}

/** A claim on physical addresses [start, start + n), from {@link request_mem_region}. */
export interface MemRegionClaim extends Disposable {
  /** First physical address. */
  readonly start: bigint;
  /** Length in bytes. */
  readonly n: bigint;
  /** The holder's name given to request_mem_region. */
  readonly name: string;
  /** False once released. */
  readonly held: boolean;
  /** Release the claim (kernel `release_mem_region`). A second call does nothing. */
  release(): void;
}

const held = new Set<Claim>();

class Claim implements MemRegionClaim {
  #fd: number | undefined;
  readonly #holderFile: string;
  constructor(
    readonly start: bigint,
    readonly n: bigint,
    readonly name: string,
    fd: number,
    holderFile: string,
  ) {
    this.#fd = fd;
    this.#holderFile = holderFile;
    held.add(this);
  }
  get held(): boolean {
    return this.#fd !== undefined;
  }
  release(): void {
    if (this.#fd === undefined) return;
    try {
      rmSync(this.#holderFile, { force: true });
    } catch {
      // Another user's stale name file in the sticky folder (EPERM): the lock below is what matters.
    }
    closeSync(this.#fd); // closing the descriptor drops the lock
    this.#fd = undefined;
    held.delete(this);
  }
  [Symbol.dispose](): void {
    this.release();
  }
}

function holderFileFor(dir: string, start: bigint, n: bigint): string {
  return join(dir, `claim-${start.toString(16)}-${n.toString(16)}.json`);
}

/** Who holds [start, start + n), if their name file is there and their process is alive. */
function describeHolder(dir: string, start: bigint, n: bigint): string {
  try {
    const { pid, name } = JSON.parse(readFileSync(holderFileFor(dir, start, n), 'utf8')) as { pid: number; name: string };
    const alive = existsSync(`/proc/${pid}`);
    return `'${name}' (pid ${pid}${alive ? '' : ', gone'})`;
  } catch {
    return 'another holder';
  }
}

/**
 * Open the shared lock file read-write. An existing file is opened without O_CREAT (so fs.protected_regular
 * does not refuse another user's file in the sticky folder); a new one is made writable by every user, whatever
 * the umask, since every driver process must be able to lock it.
 */
function openLockFile(lockFile: string): number {
  try {
    return openSync(lockFile, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const fd = openSync(lockFile, 'a+', 0o666);
  try {
    fchmodSync(fd, 0o666);
  } catch {
    // Someone else created it between the two opens: it is theirs to set.
  }
  return fd;
}

function checkRange(start: bigint | number, n: bigint | number): [bigint, bigint] {
  const s = toAddress(start, 'start');
  const len = toAddress(n, 'n');
  if (len === 0n) throw rangeError('ERR_OUT_OF_RANGE', 'n must be at least 1 byte', 'n is the length of the range in bytes: at least 1.');
  if (s + len - 1n > OFF_T_MAX) {
    throw rangeError('ERR_OUT_OF_RANGE', `claims are limited to addresses below 2^63; got 0x${s.toString(16)} + ${len}`, 'claims take physical addresses below 2^63 (the byte-range lock is a signed 64-bit offset): start + n must stay below 0x8000000000000000.');
  }
  return [s, len];
}

/**
 * Claim physical addresses [start, start + n) for `name` (kernel `request_mem_region`).
 * @param start first physical address (bigint or safe integer)
 * @param n length in bytes, >= 1
 * @param name the holder's name, shown to whoever is refused
 * @returns the claim; release it with `release()` / {@link release_mem_region} (or `using`).
 * @throws SystemError `EBUSY` when any part is claimed already, by another process or in this one (the message
 *   names the holder); `EACCES` when the lock file cannot be opened; RangeError/TypeError for bad arguments.
 */
export function request_mem_region(start: bigint | number, n: bigint | number, name: string): MemRegionClaim {
  if (typeof name !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', `name must be a string, got ${describe(name)}`, 'name is a string that says who holds the claim, e.g. the driver name \'edu\'.');
  const [s, len] = checkRange(start, n);
  const native = addon(); // before touching the lock folder: without the addon, say so (ERR_MMIO_NATIVE_UNAVAILABLE)
  const dir = claimDirectory();
  const lockFile = join(dir, 'iomem.lock');
  let fd: number;
  try {
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o1777); // shared by every user that drives hardware, like /tmp
    }
    fd = openLockFile(lockFile);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw systemError(-(err.errno ?? -5), err.syscall ?? 'open', err.path ?? lockFile, 'cannot open the claim lock file: set MMIO_LOCK_DIR to a folder every driver process can write.');
  }
  const errno = native.ofdLock(fd, s, len);
  if (errno !== 0) {
    const conflict = native.ofdConflict(fd, s, len);
    closeSync(fd);
    if (errno === 11 || errno === 13) {
      const who = conflict ? describeHolder(dir, conflict[0], conflict[1]) : 'another holder';
      const range = conflict ? `0x${conflict[0].toString(16)}..0x${(conflict[0] + conflict[1] - 1n).toString(16)}` : 'part of it';
      throw systemErrorByCode('EBUSY', 'request_mem_region', lockFile, `${range} is claimed by ${who}: release it there first.`);
    }
    throw systemError(errno, 'fcntl', lockFile);
  }
  const holderFile = holderFileFor(dir, s, len);
  try {
    writeFileSync(holderFile, JSON.stringify({ pid: process.pid, name, start: `0x${s.toString(16)}`, n: `0x${len.toString(16)}` }), { mode: 0o644 });
  } catch {
    // The name file is only for messages; the lock is the claim.
  }
  return new Claim(s, len, name, fd, holderFile);
}

/**
 * Release this process's claim on exactly [start, start + n) (kernel `release_mem_region`).
 * @throws RangeError `ERR_OUT_OF_RANGE` when this process holds no claim on that range.
 */
export function release_mem_region(start: bigint | number, n: bigint | number): void {
  const [s, len] = checkRange(start, n);
  for (const claim of held) {
    if (claim.start === s && claim.n === len) {
      claim.release();
      return;
    }
  }
  throw rangeError('ERR_OUT_OF_RANGE', `no claim on 0x${s.toString(16)} + ${len} is held by this process`, 'release_mem_region takes the same start and n that request_mem_region was given, in this process.');
}

/** A physical range with a name, as the kernel's `struct resource` (start, size, name). */
export interface IoResource {
  /** First physical address. */
  start: bigint | number;
  /** Length in bytes. */
  size: number;
  /** The holder's name. */
  name: string;
}

/**
 * Claim a resource and map it in one call, the shape of the kernel's `devm_ioremap_resource`: the claim is
 * released when the region is unmapped (iounmap, `using`), and at exit.
 * @throws as {@link request_mem_region} (`EBUSY`) and ioremap; on a mapping failure the claim is released.
 */
export function devm_ioremap_resource(res: IoResource, options: IoremapOptions = {}): IoRegion {
  checkObject(res, 'res');
  options = checkOptions(options);
  const claim = request_mem_region(res.start, res.size, res.name);
  try {
    return mapFile(options.path ?? '/dev/mem', res.start, res.size, {
      sync: true,
      readOnly: options.readOnly,
      onUnmap: () => claim.release(),
    });
  } catch (e) {
    claim.release();
    throw e;
  }
}
