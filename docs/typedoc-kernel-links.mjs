// @ts-check
/**
 * A typedoc plugin: every call that mirrors a Linux kernel interface gets "See" links to the kernel's own
 * documentation (docs.kernel.org) and source (elixir.bootlin.com), by name, so the API reference says which
 * kernel interface each call stands for without repeating the links in every TSDoc comment.
 *
 * The table is the single place to add a link: a rule is a pattern for reflection names and the links for them.
 */
import { Comment, CommentTag, Converter, ReflectionKind } from 'typedoc';

const DOCS = 'https://docs.kernel.org';
const SRC = 'https://elixir.bootlin.com/linux/latest/source';

const L = {
  deviceIo: ['Bus-Independent Device Accesses (driver-api/device-io)', `${DOCS}/driver-api/device-io.html`],
  asmIo: ['include/asm-generic/io.h', `${SRC}/include/asm-generic/io.h`],
  iomap: ['lib/iomap.c', `${SRC}/lib/iomap.c`],
  devMem: ['drivers/char/mem.c (/dev/mem)', `${SRC}/drivers/char/mem.c`],
  iopoll: ['include/linux/iopoll.h', `${SRC}/include/linux/iopoll.h`],
  barriers: ['Linux kernel memory barriers', `${DOCS}/core-api/wrappers/memory-barriers.html`],
  delay: ['Delay and sleep mechanisms', `${DOCS}/timers/delay_sleep_functions.html`],
  x86Io: ['arch/x86/include/asm/io.h', `${SRC}/arch/x86/include/asm/io.h`],
  resource: ['kernel/resource.c', `${SRC}/kernel/resource.c`],
  ioport: ['include/linux/ioport.h', `${SRC}/include/linux/ioport.h`],
  devres: ['Devres - Managed Device Resource', `${DOCS}/driver-api/driver-model/devres.html`],
  devresC: ['lib/devres.c', `${SRC}/lib/devres.c`],
  uio: ['The Userspace I/O HOWTO', `${DOCS}/driver-api/uio-howto.html`],
  uioC: ['drivers/uio/uio.c', `${SRC}/drivers/uio/uio.c`],
  pci: ['Accessing PCI device resources through sysfs', `${DOCS}/PCI/sysfs-pci.html`],
  mmap: ['mmap(2)', 'https://man7.org/linux/man-pages/man2/mmap.2.html'],
};

/** @type {Array<[RegExp, Array<[string, string]>]>} */
export const RULES = [
  [/^(ioremap(_uc|_cache|_wc|_np)?|iounmap)$/, [L.deviceIo, L.asmIo, L.devMem]],
  [/^(read|write)[bwlq](_relaxed)?$/, [L.deviceIo, L.asmIo]],
  [/^io(read|write)(8|16|32|64)(be)?(_rep)?$/, [L.deviceIo, L.iomap]],
  [/^(memcpy_fromio|memcpy_toio|memset_io)$/, [L.deviceIo, L.asmIo]],
  [/^read[bwlq]_poll_timeout(_atomic)?$/, [L.iopoll]],
  [/^[rw]?mb$/, [L.barriers]],
  [/^udelay$/, [L.delay]],
  [/^(in|out)[bwl]$/, [L.deviceIo, L.x86Io]],
  [/^(request|release)_mem_region$/, [L.resource, L.ioport]],
  [/^devm_ioremap_resource$/, [L.devres, L.devresC]],
  [/^(openUio|listUioDevices|UioDevice|UioInterrupts)$/, [L.uio, L.uioC]],
  [/^(openPci|listPciDevices|PciDevice)$/, [L.pci]],
  [/^(mapFile|pageSize)$/, [L.mmap]],
];

/** The links for a name, or undefined when it mirrors no kernel interface. */
export function kernelLinksFor(name) {
  return RULES.find(([pattern]) => pattern.test(name))?.[1];
}

const LINKED = ReflectionKind.Function | ReflectionKind.Method | ReflectionKind.Class;

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const reflection of context.project.getReflectionsByKind(LINKED)) {
      const links = kernelLinksFor(reflection.name);
      if (links === undefined) continue;
      const text = links.map(([label, url]) => `[${label}](${url})`).join(', ');
      const holders = 'signatures' in reflection && reflection.signatures?.length ? reflection.signatures : [reflection];
      for (const holder of holders) {
        holder.comment ??= new Comment();
        holder.comment.blockTags.push(new CommentTag('@see', [{ kind: 'text', text: `Kernel: ${text}` }]));
      }
    }
  });
}
