// What the VFIO bench programs (vfio-irq-latency.c, nvme-irq-latency.c) share: opening a device as
// include/uapi/linux/vfio.h describes it (the container, the group joined to it, the type1v2 IOMMU, the device
// fd). Include after "../bench-c.h" (for die()); bench/c-build.ts hashes it with each program. Never shipped.
#ifndef MMIO_BENCH_VFIO_OPEN_H
#define MMIO_BENCH_VFIO_OPEN_H

#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <sys/ioctl.h>

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

#endif
