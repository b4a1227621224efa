// Reading the integer arguments of the raw N-API functions (accessors, block transfers, the atomic poll).
// lib/ has checked every argument already; these checks are the last line of defence, so that no call, however
// it is made, can touch memory outside a mapping.
#pragma once

#include <node_api.h>

#include <cstdint>

#include "region.h"

namespace mmio {

// An offset or count: a number that is an integer in 0 .. 2^53 - 1. False for anything else (a fraction,
// a negative, NaN, a non-number).
inline bool GetIndex(napi_env env, napi_value v, uint64_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > 9007199254740991.0) return false;
  *out = static_cast<uint64_t>(d);
  return static_cast<double>(*out) == d;
}

// Throws the RangeError of an access that does not fit the region (or a region already unmapped); returns
// nullptr for the N-API function to return.
inline napi_value ThrowBadAccess(napi_env env, const Region* r) {
  napi_throw_range_error(env, r->mapped ? "ERR_OUT_OF_RANGE" : "ERR_IOMEM_UNMAPPED",
                         r->mapped ? "offset out of range or unaligned" : "region is unmapped");
  return nullptr;
}

}  // namespace mmio
