// The per-region accessor functions: raw N-API functions with their Region bound as function data,
// the cheapest call N-API offers (no ObjectWrap unwrapping, no handle argument to check).
#pragma once

#include <napi.h>

#include "region.h"

namespace mmio {

// Returns an object of functions read8..read64, write8..write64 (ordered: the kernel's readX/writeX),
// the same with suffix "Relaxed" (no barrier), read16be/read32be and write16be/write32be.
Napi::Object CreateAccessors(Napi::Env env, Region* region);

}  // namespace mmio
