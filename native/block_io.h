// Block transfers between device memory and JS buffers, run in native code as width-exact loops.
// libc memcpy/memset must never touch device memory: they split, merge and reorder accesses.
// As in the kernel (include/asm-generic/io.h memcpy_fromio, readsl…), these are raw accesses with no
// barriers; call rmb()/wmb() where ordering against other memory matters.
#pragma once

#include <napi.h>

namespace mmio {

// memcpyFromIo(handle, offset, dst: Uint8Array, count): widest naturally aligned accesses, 8/4/2/1 bytes.
Napi::Value MemcpyFromIo(const Napi::CallbackInfo& info);
// memcpyToIo(handle, offset, src: Uint8Array, count)
Napi::Value MemcpyToIo(const Napi::CallbackInfo& info);
// memsetIo(handle, offset, byte, count)
Napi::Value MemsetIo(const Napi::CallbackInfo& info);
// readRep(handle, offset, width, dst: TypedArray, count): count loads of width bytes from one address.
Napi::Value ReadRep(const Napi::CallbackInfo& info);
// writeRep(handle, offset, width, src: TypedArray, count): count stores of width bytes to one address.
Napi::Value WriteRep(const Napi::CallbackInfo& info);

}  // namespace mmio
