// The C side of the VFIO interrupt-latency benchmark (npm run bench:vfio): what a C user-space driver for QEMU's
// edu on vfio-pci does to take one interrupt. Built with the host's cc by bench/vfio/run.ts, run inside the
// QEMU guest (test/vm/run.sh --iommu), never shipped.
//
//   vfio-irq-latency <group-number> <bdf> <intx|msi|intx-fact|msi-fact|msix-trigger> <iterations> <warm-up> <raise-value>
//
// Set-up as include/uapi/linux/vfio.h describes: container, group, type1v2 IOMMU, device fd, BAR0 mmapped, bus
// mastering on (MSI is a memory write), one eventfd wired with VFIO_DEVICE_SET_IRQS. Per iteration: (INTx:
// unmask with SET_IRQS ACTION_UNMASK), CLOCK_MONOTONIC, write <raise-value> to edu's raise register (0x60),
// block in read() of the eventfd, CLOCK_MONOTONIC, acknowledge (0x64). Prints one latency in ns per line after
// the <warm-up> unrecorded iterations. Exits 1 on any failure; a 120 s alarm ends a run that hangs.
//
// msix-trigger (QEMU's NVMe; edu has no MSI-X): MSI-X vector 0 wired to the eventfd, and each iteration fires it
// from the kernel side with SET_IRQS DATA_NONE|ACTION_TRIGGER (what VfioInterrupts.trigger() does) instead of a
// write to the device: the kernel signals the vector's eventfd; no message crosses the (emulated) bus. BAR0 is
// not mapped and <raise-value> is unused.
//
// intx-fact, msi-fact: INTx or MSI, but the interrupt comes from edu's factorial thread (status 0x20 bit 0x80: raise 0x1 when a
// factorial is done): each iteration writes 12 to 0x08, and QEMU computes it on its own thread and raises the
// interrupt from there, after the write has returned: the reader is usually asleep in read() by then, as a
// driver waiting for a real device is. <raise-value> is unused.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../bench-c.h"
#include "vfio-open.h"


int main(int argc, char** argv) {
  bench_program = "vfio-irq-latency";
  if (argc != 7) {
    fprintf(stderr, "usage: vfio-irq-latency <group> <bdf> <intx|msi|intx-fact|msi-fact|msix-trigger> <iterations> <warm-up> <raise-value>\n");
    return 2;
  }
  const int intx = strcmp(argv[3], "intx") == 0 || strcmp(argv[3], "intx-fact") == 0;
  const int msix = strcmp(argv[3], "msix-trigger") == 0;
  const int fact = strcmp(argv[3], "intx-fact") == 0 || strcmp(argv[3], "msi-fact") == 0;
  const long iterations = strtol(argv[4], NULL, 0);
  const long warm_up = strtol(argv[5], NULL, 0);
  const uint32_t raise = fact ? 0x1 : (uint32_t)strtoul(argv[6], NULL, 0);  // fact: edu's factorial-done bit
  alarm(120);

  int container;
  const int device = vfio_open_device(argv[1], argv[2], &container);

  if (!msix) bar0 = vfio_map_bar0(device, (size_t)sysconf(_SC_PAGESIZE));
  vfio_set_bus_master(device);  // MSI is a memory write by the device
  const int32_t efd = eventfd(0, EFD_CLOEXEC);
  if (efd < 0) die("eventfd");
  const uint32_t index = intx ? VFIO_PCI_INTX_IRQ_INDEX : msix ? VFIO_PCI_MSIX_IRQ_INDEX : VFIO_PCI_MSI_IRQ_INDEX;
  vfio_set_irqs(device, index, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1, &efd);
  if (!msix) writel(readl(0x24), 0x64);
  if (fact) writel(0x80, 0x20);  // raise an interrupt when a factorial is done

  latencies latencies = latencies_new(iterations);
  for (long i = -warm_up; i < iterations; i++) {
    if (intx) vfio_set_irqs(device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 1, NULL);
    const uint64_t t0 = now_ns();
    if (msix)
      vfio_set_irqs(device, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 1, NULL);
    else if (fact)
      writel(12, 0x08);
    else
      writel(raise, 0x60);
    uint64_t signals;
    const ssize_t n = read(efd, &signals, sizeof signals);
    const uint64_t t1 = now_ns();
    if (n != (ssize_t)sizeof signals) die("read(eventfd)");
    if (msix) {
      if (signals != 1) {
        fprintf(stderr, "vfio-irq-latency: %llu signals for one trigger\n", (unsigned long long)signals);
        return 1;
      }
      latencies_put(&latencies, i, t1 - t0);
      continue;
    }
    const uint32_t status = readl(0x24);
    writel(status, 0x64);
    if ((status & raise) != raise) {
      fprintf(stderr, "vfio-irq-latency: interrupt status 0x%x does not hold the raised 0x%x\n", status, raise);
      return 1;
    }
    if (signals != 1) {
      fprintf(stderr, "vfio-irq-latency: %llu signals for one interrupt\n", (unsigned long long)signals);
      return 1;
    }
    latencies_put(&latencies, i, t1 - t0);
  }
  latencies_print(&latencies);
  return 0;
}
