// Open-file-description byte-range locks (fcntl F_OFD_SETLK / F_OFD_GETLK), the cross-process claim behind
// request_mem_region: a lock belongs to one open file description, so two claims conflict even inside one
// process, and the kernel drops it when the descriptor closes, including when the process crashes.
#pragma once

#include <napi.h>

namespace mmio {

// ofdLock(fd, start: bigint, length: bigint) -> 0, or EBUSY-like errno (EAGAIN/EACCES) on conflict.
Napi::Value OfdLock(const Napi::CallbackInfo& info);
// ofdUnlock(fd, start: bigint, length: bigint) -> 0 or errno.
Napi::Value OfdUnlock(const Napi::CallbackInfo& info);
// ofdConflict(fd, start: bigint, length: bigint) -> null, or [start: bigint, length: bigint] of a conflicting lock.
Napi::Value OfdConflict(const Napi::CallbackInfo& info);

}  // namespace mmio
