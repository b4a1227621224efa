// Mapping a range of a file: /dev/mem, /dev/uioN, a PCI resourceN, /dev/gpiomem, a regular file or memfd.
#pragma once

#include <napi.h>

namespace mmio {

// map(path: string, offset: bigint, size: number, options: { sync: boolean, readOnly: boolean })
//   -> { handle: External<Region>, buffer: ArrayBuffer (size bytes at offset),
//        fault: ArrayBuffer (the FaultWord: [faulted, offset_lo, offset_hi, signal]), pageSize: number }
// Opens path (O_RDWR or O_RDONLY, O_SYNC when asked, O_CLOEXEC), mmaps from the offset rounded down to the
// page size, and closes the descriptor (the mapping keeps the file alive). The accessor functions are bound
// separately (bindAccessors, native/accessors.h), only by a region that calls them. Throws a syscall error on failure,
// leaving nothing open or mapped.
Napi::Value Map(const Napi::CallbackInfo& info);

// mapFd(fd: number, path: string, offset: bigint, size: number, options: { readOnly: boolean }) -> as map: maps
// a descriptor the caller keeps open (a VFIO device's region). `path` only names it in errors.
Napi::Value MapFd(const Napi::CallbackInfo& info);

// unmap(handle): detaches the ArrayBuffer and munmaps. A second call does nothing.
Napi::Value UnmapJs(const Napi::CallbackInfo& info);

}  // namespace mmio
