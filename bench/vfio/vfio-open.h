// What the VFIO bench programs (vfio-irq-latency.c, nvme-irq-latency.c) share: opening a device as
// include/uapi/linux/vfio.h describes it (the container, the group joined to it, the type1v2 IOMMU, the device
// fd), mapping BAR0, bus mastering, and wiring interrupts. Include after "../bench-c.h" (for die()); bench/c-build.ts hashes it with each program. Never shipped.
#ifndef MMIO_BENCH_VFIO_OPEN_H
#define MMIO_BENCH_VFIO_OPEN_H

#include <fcntl.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

// Open device `bdf` of IOMMU group `group_no` (/dev/vfio/<group_no>): returns the device fd and sets *container.
static int vfio_open_device(const char* group_no, const char* bdf, int* container) {
  *container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
  if (*container < 0) die("/dev/vfio/vfio");
  char path[64];
  snprintf(path, sizeof path, "/dev/vfio/%s", group_no);
  const int group = open(path, O_RDWR | O_CLOEXEC);
  if (group < 0) die(path);
  if (ioctl(group, VFIO_GROUP_SET_CONTAINER, container) != 0) die("VFIO_GROUP_SET_CONTAINER");
  if (ioctl(*container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) != 0) die("VFIO_SET_IOMMU");
  const int device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
  if (device < 0) die("VFIO_GROUP_GET_DEVICE_FD");
  return device;
}

// mmap the first `size` bytes of BAR0 (read-write, shared) and return them.
static void* vfio_map_bar0(int device, size_t size) {
  struct vfio_region_info bar = {.argsz = sizeof bar, .index = VFIO_PCI_BAR0_REGION_INDEX};
  if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &bar) != 0) die("VFIO_DEVICE_GET_REGION_INFO(BAR0)");
  void* map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, device, (off_t)bar.offset);
  if (map == MAP_FAILED) die("mmap(BAR0)");
  return map;
}

// Set bus mastering in PCI_COMMAND through the config region (MSI and MSI-X are memory writes by the device, and
// so are its DMA transfers).
static void vfio_set_bus_master(int device) {
  struct vfio_region_info cfg = {.argsz = sizeof cfg, .index = VFIO_PCI_CONFIG_REGION_INDEX};
  if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &cfg) != 0) die("VFIO_DEVICE_GET_REGION_INFO(config)");
  uint16_t command;
  if (pread(device, &command, 2, (off_t)cfg.offset + 4) != 2) die("pread(PCI_COMMAND)");
  command |= 0x4;
  if (pwrite(device, &command, 2, (off_t)cfg.offset + 4) != 2) die("pwrite(PCI_COMMAND)");
}

// VFIO_DEVICE_SET_IRQS for `count` vectors of `index` from 0: with `fd` (DATA_EVENTFD, one vector) or none.
static void vfio_set_irqs(int device, uint32_t index, uint32_t flags, int count, const int32_t* fd) {
  char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
  struct vfio_irq_set* set = (struct vfio_irq_set*)buf;
  set->argsz = sizeof(struct vfio_irq_set) + (fd ? sizeof(int32_t) : 0);
  set->flags = flags;
  set->index = index;
  set->start = 0;
  set->count = (uint32_t)count;
  if (fd) memcpy(set->data, fd, sizeof(int32_t));
  if (ioctl(device, VFIO_DEVICE_SET_IRQS, set) != 0) die("VFIO_DEVICE_SET_IRQS");
}

#endif
