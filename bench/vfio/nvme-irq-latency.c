// The C side of the NVMe completion-interrupt benchmark (npm run bench:vfio): what a C user-space driver for
// QEMU's NVMe controller on vfio-pci does to take one command's completion interrupt. Built with the host's cc by
// bench/vfio/run.ts, run inside the QEMU guest (test/vm/run.sh --iommu --nvme), never shipped.
//
//   nvme-irq-latency <group-number> <bdf> <iterations> <warm-up>
//
// Set-up as include/uapi/linux/vfio.h and the NVMe 1.4 base specification describe: container, group, type1v2
// IOMMU, device fd, the first 8 KiB of BAR0 (registers, doorbells) mmapped, bus mastering on, MSI-X vector 0
// wired to an eventfd; an admin queue pair (16 entries) in two pages mapped at IOVAs 1 MiB and 1 MiB + 4 KiB;
// the controller disabled, configured and enabled. Per iteration: a Get Features (Number of Queues) command in
// the next submission slot, CLOCK_MONOTONIC, the SQ0 tail doorbell write, read() of the eventfd, CLOCK_MONOTONIC,
// then the completion checked (command id, phase, status) and the CQ0 head doorbell written. QEMU completes the
// command from a timer after the doorbell, so the read() does sleep. Prints one latency in ns per line.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../bench-c.h"
#include "vfio-open.h"

#define NVME_CC 0x14
#define NVME_CSTS 0x1c
#define NVME_AQA 0x24
#define NVME_ASQ 0x28
#define NVME_ACQ 0x30
#define NVME_SQ0TDBL 0x1000
#define NVME_CQ0HDBL 0x1004
#define NVME_CC_ENABLE (1u | (6u << 16) | (4u << 20))
#define ENTRIES 16
#define IOVA_SQ 0x100000ull
#define IOVA_CQ 0x101000ull

static void writeq(uint64_t value, size_t offset) { *(volatile uint64_t*)(bar0 + offset) = value; }

static void wait_ready(uint32_t ready) {
  for (long i = 0; i < 5000000; i++) {
    if ((readl(NVME_CSTS) & 1) == ready) return;
    usleep(100);
  }
  fprintf(stderr, "nvme-irq-latency: CSTS.RDY stayed %u\n", ready ? 0 : 1);
  exit(1);
}

static void* dma_page(int container, uint64_t iova) {
  void* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) die("mmap(DMA page)");
  struct vfio_iommu_type1_dma_map map = {.argsz = sizeof map, .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, .vaddr = (uint64_t)(uintptr_t)p, .iova = iova, .size = 4096};
  if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map) != 0) die("VFIO_IOMMU_MAP_DMA");
  return p;
}

int main(int argc, char** argv) {
  bench_program = "nvme-irq-latency";
  if (argc != 5) {
    fprintf(stderr, "usage: nvme-irq-latency <group> <bdf> <iterations> <warm-up>\n");
    return 2;
  }
  const long iterations = strtol(argv[3], NULL, 0);
  const long warm_up = strtol(argv[4], NULL, 0);
  alarm(120);

  int container;
  const int device = vfio_open_device(argv[1], argv[2], &container);

  bar0 = vfio_map_bar0(device, 0x2000);  // the registers and the first doorbells
  vfio_set_bus_master(device);            // the queues are DMA, MSI-X a memory write

  const int32_t efd = eventfd(0, EFD_CLOEXEC);
  if (efd < 0) die("eventfd");
  vfio_set_irqs(device, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1, &efd);

  volatile uint32_t* sq = dma_page(container, IOVA_SQ);
  volatile uint32_t* cq = dma_page(container, IOVA_CQ);
  writel(0, NVME_CC);
  wait_ready(0);
  writel(((ENTRIES - 1) << 16) | (ENTRIES - 1), NVME_AQA);
  writeq(IOVA_SQ, NVME_ASQ);
  writeq(IOVA_CQ, NVME_ACQ);
  writel(NVME_CC_ENABLE, NVME_CC);
  wait_ready(1);

  latencies latencies = latencies_new(iterations);
  uint32_t tail = 0, head = 0, phase = 1;
  for (long i = -warm_up; i < iterations; i++) {
    const uint32_t cid = (uint32_t)(i & 0xffff);
    volatile uint32_t* sqe = sq + tail * 16;  // 64-byte entries
    for (int w = 0; w < 16; w++) sqe[w] = 0;
    sqe[0] = 0x0a | (cid << 16);  // Get Features
    sqe[10] = 0x07;               // Number of Queues
    tail = (tail + 1) % ENTRIES;
    const uint64_t t0 = now_ns();
    writel(tail, NVME_SQ0TDBL);
    uint64_t signals;
    const ssize_t n = read(efd, &signals, sizeof signals);
    const uint64_t t1 = now_ns();
    if (n != (ssize_t)sizeof signals) die("read(eventfd)");
    const uint32_t dw3 = cq[head * 4 + 3];  // 16-byte entries
    if ((dw3 & 0xffff) != cid || ((dw3 >> 16) & 1) != phase || (dw3 >> 17) != 0) {
      fprintf(stderr, "nvme-irq-latency: completion dw3 0x%08x for command 0x%x (phase %u)\n", dw3, cid, phase);
      return 1;
    }
    head = (head + 1) % ENTRIES;
    if (head == 0) phase ^= 1;
    writel(head, NVME_CQ0HDBL);
    latencies_put(&latencies, i, t1 - t0);
  }
  writel(0, NVME_CC);
  latencies_print(&latencies);
  return 0;
}
