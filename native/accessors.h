// The per-region accessor functions: raw N-API functions with their Region bound as function data,
// the cheapest call N-API offers (no ObjectWrap unwrapping, no handle argument to check).
#pragma once

#include <napi.h>

#include "region.h"

namespace mmio {

// Returns an object of functions read8..read64, write8..write64 (ordered: the kernel's readX/writeX),
// the same with suffix "Relaxed" (no barrier), read16be/read32be and write16be/write32be.
Napi::Object CreateAccessors(Napi::Env env, Region* region);

// bindAccessors(handle) -> CreateAccessors' object for that mapping. Separate from map: each function holds
// the Region through its own finalizer (20 per mapping), and the x86-64 fast path never calls them, so a
// region binds them only where it uses them (lib/native-region.ts).
Napi::Value BindAccessors(const Napi::CallbackInfo& info);

}  // namespace mmio
