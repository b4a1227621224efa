// Block transfers between device memory and JS buffers, run in native code as width-exact loops.
// libc memcpy/memset must never touch device memory: they split, merge and reorder accesses.
// As in the kernel (include/asm-generic/io.h memcpy_fromio, readsl…), these are raw accesses with no
// barriers; call rmb()/wmb() where ordering against other memory matters.
#pragma once

#include <node_api.h>

namespace mmio {

// memcpyFromIo(handle, offset, dst: Uint8Array, count): widest naturally aligned accesses, 8/4/2/1 bytes.
napi_value MemcpyFromIo(napi_env env, napi_callback_info info);
// memcpyToIo(handle, offset, src: Uint8Array, count)
napi_value MemcpyToIo(napi_env env, napi_callback_info info);
// memsetIo(handle, offset, byte, count)
napi_value MemsetIo(napi_env env, napi_callback_info info);
// readRep(handle, offset, width, dst: TypedArray, count): count loads of width bytes from one address.
napi_value ReadRep(napi_env env, napi_callback_info info);
// writeRep(handle, offset, width, src: TypedArray, count): count stores of width bytes to one address.
napi_value WriteRep(napi_env env, napi_callback_info info);

}  // namespace mmio
