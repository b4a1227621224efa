// VFIO (include/uapi/linux/vfio.h, Documentation/driver-api/vfio.rst): the container, group and device ioctls,
// IOMMU DMA mapping of memory this addon allocates, and interrupt set-up by eventfd. Thin: every call is one
// ioctl on a descriptor JS opened (fs.openSync), and every failure throws a syscall error (errno, syscall
// "ioctl", message = the request's name) that lib/linux/vfio-native.ts turns into a Node-style error with a hint.
#pragma once

#include <napi.h>

namespace mmio {

// Adds to exports:
//   vfioGetApiVersion(fd) -> number; vfioCheckExtension(fd, ext) -> number
//   vfioGroupGetStatus(fd) -> flags; vfioGroupSetContainer(groupFd, containerFd); vfioGroupUnsetContainer(groupFd)
//   vfioSetIommu(containerFd, type); vfioIommuGetInfo(containerFd) -> { flags, pageSizes: bigint,
//     ranges: [start: bigint, end: bigint][], dmaAvail: number (-1 when not reported) }
//   vfioGroupGetDeviceFd(groupFd, name) -> fd; vfioDeviceGetInfo(fd) -> { flags, numRegions, numIrqs }
//   vfioDeviceGetRegionInfo(fd, index) -> { index, flags, size: bigint, offset: bigint,
//     sparse: [offset: bigint, size: bigint][] | null, msixMappable: boolean }
//   vfioDeviceGetIrqInfo(fd, index) -> { flags, count }
//   vfioDeviceSetIrqs(fd, index, start, flags, eventfds: number[] | count: number)
//   vfioDeviceReset(fd)
//   vfioMapDma(containerFd, dmaHandle, iova: bigint, flags); vfioUnmapDma(containerFd, iova, size) -> bigint
//   dmaAlloc(size) -> { handle, buffer }: page-aligned anonymous memory (MAP_POPULATE, MADV_DONTFORK) as a
//     Region (unmap(handle) frees it; unmapped at environment teardown like every mapping)
void InitVfio(Napi::Env env, Napi::Object exports);

}  // namespace mmio
