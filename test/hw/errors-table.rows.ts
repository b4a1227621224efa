/**
 * The errors table, guest rows: bad inputs and conditions that need the real kernel of the QEMU rig (/dev/mem
 * with STRICT_DEVMEM, UIO, PCI sysfs, a non-root user). test/hw/errors-table.hw.test.ts runs them in the guest;
 * test/errors-table.test.ts renders them into docs/errors.md with the host rows. Data only: importing this file
 * touches no hardware.
 */
import { readFileSync } from 'node:fs';
import {
  ioremap,
  ioremap_wc,
  listPciDevices,
  listUioDevices,
  mapFile,
  openPci,
  openUio,
  pageSize,
  type IoRegion,
  type PciDevice,
  type UioDevice,
} from '../../lib/index.js';
import { runAsUser, type BaseContext, type ErrorRow } from '../helpers/errors-table.js';
import { findEduHardware, type EduHardware } from './edu-hw.js';

/** The unprivileged user of the non-root rows (Debian's `nobody`/`nogroup`). */
export const NOBODY = 65534;

export interface GuestContext extends BaseContext {
  hw: EduHardware;
  /** openUio of the UIO-bound edu (closed after the row). */
  uio(): UioDevice;
  /** openPci of the UIO-bound edu (closed after the row). */
  pci(): PciDevice;
  /** Run `fn` after the row. */
  track(fn: () => void | Promise<void>): void;
}

/** A System RAM address above 16 MiB from /proc/iomem (root sees the addresses). */
function systemRamAddress(): bigint {
  for (const line of readFileSync('/proc/iomem', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) : System RAM$/.exec(line.trim());
    if (m && BigInt(`0x${m[2]}`) > 0x2000000n) return BigInt(`0x${m[1]}`) > 0x1000000n ? BigInt(`0x${m[1]}`) : 0x1000000n;
  }
  throw new Error('no System RAM line in /proc/iomem');
}

export function guestContext(): GuestContext {
  const hw = findEduHardware();
  const cleanups: Array<() => void | Promise<void>> = [];
  const uioList = openUioDeviceList();
  return {
    hw,
    vars: {
      uio: hw.uio.devicePath,
      uioList,
      bdf: hw.uioEdu.bdf,
      res0: `${hw.uioEdu.sysfsPath}/resource0`,
      bar0: hw.uioEdu.bars[0].start.toString(16),
      ram: systemRamAddress().toString(16),
      pcis: listPciDevices()
        .map((d) => `${d.bdf} [${d.vendor.toString(16)}:${d.device.toString(16)}]`)
        .join(', '),
    },
    uio() {
      const dev = openUio(hw.uio.number);
      cleanups.push(() => dev.close());
      return dev;
    },
    pci() {
      const dev = openPci(hw.uioEdu.bdf);
      cleanups.push(() => dev.close());
      return dev;
    },
    track(fn) {
      cleanups.push(fn);
    },
    async dispose() {
      for (const fn of cleanups.reverse()) await fn();
    },
  };
}

/** The device list as openUio words it in its ENOENT hint. */
function openUioDeviceList(): string {
  return listUioDevices().map((d) => `uio${d.number} (${d.name})`).join(', ') || 'none (is the uio module loaded?)';
}

const libUrl = new URL('../../dist/lib/index.js', import.meta.url).href;
const asNobody = (body: string): never => runAsUser(NOBODY, NOBODY, body, libUrl);

type Row = ErrorRow<GuestContext, any>;
const NO_SUCH_FILE = 'no such PCI device or BAR file: check the BDF with listPciDevices(); resourceN exists only for the BARs the device has.';
const UIO_DENIED = 'no access to this UIO device: add a udev rule, e.g. SUBSYSTEM=="uio", GROUP="<your group>", MODE="0660", or run as root.';
const RW_DENIED = 'no write access: if you only read, map it with { readOnly: true }; to write, run as a user who may (e.g. a udev rule that gives the device a group of yours and mode 0660).';
const MMAP_EINVAL = 'mmap refused the range: the offset or size is not valid for this file (beyond its end, or not a mappable device).';

const privilege: Row[] = [
  { condition: '/dev/mem over System RAM (CONFIG_STRICT_DEVMEM)', errorClass: 'Error', code: 'EPERM',
    message: "EPERM: operation not permitted, mmap '/dev/mem' (The kernel refused this range (CONFIG_STRICT_DEVMEM / IO_STRICT_DEVMEM): it is RAM or claimed by a driver. Use UIO or the PCI resourceN file, or boot with iomem=relaxed.)",
    act: (_s, t) => ioremap(BigInt(`0x${t.vars.ram}`), 4096) },
  { condition: '/dev/mem as a user who is not root', errorClass: 'Error', code: 'EACCES',
    message: "EACCES: permission denied, open '/dev/mem' (/dev/mem needs root (CAP_SYS_RAWIO); use a UIO device or a PCI resourceN file with a udev rule instead.)",
    act: (_s, t) => asNobody(`m.ioremap(0x${t.vars.bar0}n, 16)`) },
  { condition: '/dev/uioN without access (no udev rule for this user)', errorClass: 'Error', code: 'EACCES',
    message: `EACCES: permission denied, open '{uio}' (${UIO_DENIED})`,
    act: (_s, t) => asNobody(`m.openUio(${JSON.stringify(t.vars.uio)})`) },
  { condition: 'a PCI resourceN file without access', errorClass: 'Error', code: 'EACCES',
    message: `EACCES: permission denied, open '{res0}' (${RW_DENIED})`,
    act: (_s, t) => asNobody(`m.openPci(${JSON.stringify(t.vars.bdf)}).map(0, { size: 4096 })`) },
  { condition: 'port I/O without CAP_SYS_RAWIO', errorClass: 'Error', code: 'EPERM',
    message: 'EPERM: operation not permitted, ioperm (ioperm needs CAP_SYS_RAWIO: run as root (and not under kernel lockdown).)',
    act: () => asNobody('m.inb(0x71)') },
].map((r) => ({ ...r, group: 'Privilege (guest)' }) as Row);

const closedUio = (t: GuestContext) => {
  const dev = t.uio();
  const region = dev.map(0);
  dev.close();
  return { dev, region };
};

const uio: Row[] = [
  { condition: 'UIO device name that does not exist', errorClass: 'Error', code: 'ENOENT',
    message: "ENOENT: no such file or directory, open 'no-such-uio' (no such UIO device; devices: {uioList})", act: () => openUio('no-such-uio') },
  { condition: 'UIO device number that does not exist', errorClass: 'Error', code: 'ENOENT',
    message: "ENOENT: no such file or directory, open '/dev/uio99' (no such UIO device; devices: {uioList})", act: () => openUio(99) },
  { condition: 'UIO map that does not exist', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: '{uio} (uio_pci_generic) has no map3; it has: map0', setup: (t) => t.uio(), act: (dev: UioDevice) => dev.map(3) },
  { condition: 'UIO map index of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: "map index must be a number, got string '0'", setup: (t) => t.uio(), act: (dev: UioDevice) => dev.map(('0' as unknown) as number) },
  { condition: 'mmap of /dev/uioN larger than the map', errorClass: 'Error', code: 'EINVAL',
    message: `EINVAL: invalid argument, mmap '{uio}' (${MMAP_EINVAL})`, act: (_s, t) => mapFile(t.vars.uio, 0, 0x200000) },
  { condition: 'mmap of /dev/uioN at a map that does not exist (offset 3 × page size)', errorClass: 'Error', code: 'EINVAL',
    message: `EINVAL: invalid argument, mmap '{uio}' (${MMAP_EINVAL})`, act: (_s, t) => mapFile(t.vars.uio, 3 * pageSize(), 4096) },
  { condition: 'closed UIO device: map', errorClass: 'Error', code: 'ERR_DEVICE_CLOSED',
    message: '{uio} is closed; open it again with openUio() to map it', setup: closedUio, act: ({ dev }: { dev: UioDevice }) => dev.map(0) },
  { condition: 'closed UIO device: a region it mapped', errorClass: 'Error', code: 'ERR_IOMEM_UNMAPPED',
    message: 'region of {uio} is unmapped (iounmap was called); map it again to access it', setup: closedUio,
    act: ({ region }: { region: IoRegion }) => region.readl(0) },
  { condition: 'closed UIO device: wait for an interrupt', errorClass: 'Error', code: 'ERR_IRQ_CLOSED',
    message: 'interrupt source {uio} is closed', setup: closedUio, act: ({ dev }: { dev: UioDevice }) => dev.irq.wait() },
  { condition: 'closed UIO device: unmask', errorClass: 'Error', code: 'ERR_IRQ_CLOSED',
    message: 'interrupt source {uio} is closed', setup: closedUio, act: ({ dev }: { dev: UioDevice }) => dev.irq.unmask() },
  { condition: 'closing a UIO device twice', errorClass: null, code: null, message: 'the second call does nothing',
    setup: closedUio, act: ({ dev }: { dev: UioDevice }) => dev.close() },
  { condition: 'a second wait while one is pending', errorClass: 'Error', code: 'ERR_IRQ_WAIT_PENDING',
    message: 'a wait is already pending on {uio}',
    setup: (t) => {
      const dev = t.uio();
      dev.irq.wait().catch(() => {}); // rejected with ERR_IRQ_CLOSED when the row closes the device
      return dev;
    },
    act: (dev: UioDevice) => dev.irq.wait() },
  { condition: 'negative wait timeout', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'timeoutMs must be a number of milliseconds in 0..2147483647, got -1', setup: (t) => t.uio(), act: (dev: UioDevice) => dev.irq.wait({ timeoutMs: -1 }) },
  { condition: 'busy poll beyond MAX_BUSY_POLL_US', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'busyPollUs must be a number of microseconds in 0..10000, got 20000', setup: (t) => t.uio(), act: (dev: UioDevice) => dev.irq.wait({ busyPollUs: 20_000 }) },
  { condition: 'no interrupt within the timeout', errorClass: 'Error', code: 'ETIMEDOUT',
    message: "ETIMEDOUT: connection timed out, poll '{uio}' (no interrupt within 50 ms.)", setup: (t) => t.uio(), act: (dev: UioDevice) => dev.irq.wait({ timeoutMs: 50 }) },
  { condition: 'wait aborted by its AbortSignal', errorClass: 'AbortError', code: 'ABORT_ERR',
    message: 'The operation was aborted', setup: (t) => t.uio(), act: (dev: UioDevice) => dev.irq.wait({ signal: AbortSignal.timeout(20) }) },
  { condition: 'wait with a signal already aborted', errorClass: 'AbortError', code: 'ABORT_ERR',
    message: 'The operation was aborted', setup: (t) => t.uio(), act: (dev: UioDevice) => dev.irq.wait({ signal: AbortSignal.abort() }) },
].map((r) => ({ ...r, group: 'UIO (guest)' }) as Row);

const pci: Row[] = [
  { condition: 'PCI vendor:device that is not there', errorClass: 'Error', code: 'ENODEV',
    message: "ENODEV: no such device, open 'dead:beef' (not a PCI device here (a BDF like 0000:00:04.0 or vendor:device like 1234:11e8); devices: {pcis})",
    act: () => openPci('dead:beef') },
  { condition: 'PCI BAR that does not exist', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: '{bdf} has no BAR2; it has: BAR0 (mem, 1048576 bytes)', setup: (t) => t.pci(), act: (dev: PciDevice) => dev.map(2) },
  { condition: 'range beyond the BAR', errorClass: 'Error', code: 'ENXIO',
    message: "ENXIO: no such device or address, mmap '{res0}' (range ends beyond the end of the file (1048576 bytes); check offset and size.)",
    setup: (t) => t.pci(), act: (dev: PciDevice) => dev.map(0, { size: 0x200000 }) },
  { condition: 'write-combining on a BAR that is not prefetchable', errorClass: 'Error', code: 'ENOENT',
    message: "ENOENT: no such file or directory, open '{res0}_wc' (BAR0 is not prefetchable, so the kernel offers no write-combining mapping)",
    setup: (t) => t.pci(), act: (dev: PciDevice) => dev.map(0, { wc: true }) },
  { condition: 'ioremap_wc through a resource file that has no _wc twin', errorClass: 'Error', code: 'ENOENT',
    message: `ENOENT: no such file or directory, open '{res0}_wc' (${NO_SUCH_FILE})`, act: (_s, t) => ioremap_wc(0, 4096, { path: t.vars.res0 }) },
  { condition: 'closed PCI device: map', errorClass: 'Error', code: 'ERR_DEVICE_CLOSED',
    message: '{bdf} is closed; open it again with openPci() to map it',
    setup: (t) => {
      const dev = t.pci();
      dev.close();
      return dev;
    },
    act: (dev: PciDevice) => dev.map(0) },
].map((r) => ({ ...r, group: 'PCI (guest)' }) as Row);

export const guestRows: Row[] = [...privilege, ...uio, ...pci];

export const guestPlaceholders: Record<string, string> = {
  uio: 'the UIO device node of the edu bound to uio_pci_generic (/dev/uio0 in the rig)',
  uioList: 'the UIO devices there are, e.g. `uio0 (uio_pci_generic)`',
  bdf: "the edu's PCI address, e.g. 0000:00:04.0",
  res0: "its BAR0 file, /sys/bus/pci/devices/<bdf>/resource0",
  pcis: 'every PCI function, `<bdf> [vendor:device]`, comma-separated',
};
