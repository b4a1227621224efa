/**
 * Who holds a device file open: the processes with a descriptor whose /proc/<pid>/fd link names it (what `fuser`
 * and `lsof` read). For the hint of an `EBUSY` from opening a VFIO group (lib/linux/vfio-container.ts): a group
 * belongs to one container, so a second open fails, and the cure differs when the holder is this very process
 * (another thread: a worker that opened its own container) or another one.
 * @module
 */
import { readdirSync, readlinkSync } from 'node:fs';

/** A process holding the file. */
export interface FdHolder {
  /** Its process id. */
  pid: number;
  /** True for this process (one of its threads: the main thread or a worker). */
  self: boolean;
}

function holds(pidDir: string, path: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`${pidDir}/fd`);
  } catch {
    return false; // another user's process (EACCES) or gone (ENOENT): not visible
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`${pidDir}/fd/${fd}`) === path) return true;
    } catch {
      // closed while we looked
    }
  }
  return false;
}

/**
 * The processes that have `path` open, this process first if it does, as far as this user can see (the
 * descriptors of other users' processes are visible to root only).
 * @param path an absolute path, as /proc shows descriptor links (e.g. `/dev/vfio/12`)
 * @param limit stop after this many (default 4)
 * @returns the holders seen; empty when none is visible
 */
export function fdHolders(path: string, limit = 4): FdHolder[] {
  const found: FdHolder[] = [];
  if (holds('/proc/self', path)) found.push({ pid: process.pid, self: true });
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return found;
  }
  for (const name of pids) {
    if (found.length >= limit) break;
    const pid = Number(name);
    if (pid === process.pid) continue;
    if (holds(`/proc/${name}`, path)) found.push({ pid, self: false });
  }
  return found;
}

/**
 * The hint of an `EBUSY` from opening VFIO group file `path`, naming who holds it.
 * @param holders from {@link fdHolders}
 */
export function groupBusyHint(path: string, holders: readonly FdHolder[]): string {
  if (holders.some((h) => h.self)) {
    return `another thread of this process (a worker, or the main thread) has ${path} open in its own container, and VFIO allows one container per group: open the device in one thread and have the others send it requests and get results by postMessage, or close it there first`;
  }
  const others = holders.map((h) => h.pid);
  if (others.length > 0) return `process ${others.join(', ')} has ${path} open (a group belongs to one container at a time): close the device there first`;
  return `another process has ${path} open (a group belongs to one container at a time; its owner is not visible to this user): close the device there first`;
}
