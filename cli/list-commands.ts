/**
 * The listing commands of `mmio`: `uio list`, `pci list`, `vfio list` (sysfs: /sys/class/uio, /sys/bus/pci,
 * /sys/kernel/iommu_groups).
 * @module
 */
import { pciJson, pciLines, toJson, uioJson, uioLines } from './format.js';
import { write, type Io } from './io.js';
import { UsageError } from './targets.js';

/** `mmio uio list [--json]`: the UIO devices of /sys/class/uio with their maps (nothing found: a note on stderr). */
export async function cmdUioList(io: Io, opts: { json?: boolean }): Promise<void> {
  const { listUioDevices } = await import('../lib/linux/uio.js');
  const devices = listUioDevices();
  if (opts.json) await write(io.stdout, `${toJson(devices.map(uioJson))}\n`);
  else if (devices.length === 0) await write(io.stderr, 'no UIO devices (is the uio module loaded and a device bound?)\n');
  else await write(io.stdout, `${uioLines(devices).join('\n')}\n`);
}

/**
 * `mmio pci list [SELECTOR] [--json]`: the PCI functions of /sys/bus/pci, optionally only a BDF or vendor:device.
 * @throws UsageError for a selector that is neither.
 */
export async function cmdPciList(io: Io, selector: string | undefined, opts: { json?: boolean }): Promise<void> {
  const { listPciDevices } = await import('../lib/linux/pci.js');
  let devices = listPciDevices();
  if (selector !== undefined) {
    const s = selector.toLowerCase();
    const ids = /^([0-9a-f]{4}):([0-9a-f]{4})$/.exec(s);
    const bdf = /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(s) ? `0000:${s}` : s;
    if (!ids && !/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(bdf)) {
      throw new UsageError(`not a PCI selector: '${selector}'`, 'give a BDF (0000:00:04.0 or 00:04.0) or vendor:device (1234:11e8)');
    }
    devices = devices.filter((d) =>
      ids ? d.vendor === parseInt(ids[1], 16) && d.device === parseInt(ids[2], 16) : d.bdf === bdf,
    );
  }
  if (opts.json) await write(io.stdout, `${toJson(devices.map(pciJson))}\n`);
  else if (devices.length === 0) await write(io.stderr, `no PCI devices${selector === undefined ? '' : ` match ${selector}`}\n`);
  else await write(io.stdout, `${pciLines(devices).join('\n')}\n`);
}

/** `mmio vfio list [--json]`: the IOMMU groups, their viability, devices and bound drivers (/sys/kernel/iommu_groups). */
export async function cmdVfioList(io: Io, opts: { json?: boolean }): Promise<void> {
  const { listIommuGroups } = await import('../lib/linux/vfio-container.js');
  const groups = listIommuGroups();
  if (opts.json) {
    await write(io.stdout, `${toJson(groups)}\n`);
    return;
  }
  if (groups.length === 0) {
    await write(io.stderr, 'no IOMMU groups: no IOMMU is translating (enable it: intel_iommu=on / amd_iommu=on; see docs/vfio.md)\n');
    return;
  }
  const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
  const lines = groups.flatMap((g) => [
    `group ${g.group}  ${g.hasDeviceFile ? g.devicePath : '(no /dev/vfio file: bind a device to vfio-pci)'}  ${g.viable ? 'viable' : 'NOT viable'}`,
    ...g.devices.map((d) => `  ${d.bdf}  ${hex4(d.vendor)}:${hex4(d.device)}  driver ${d.driver ?? '(none)'}`),
  ]);
  await write(io.stdout, `${lines.join('\n')}\n`);
}
