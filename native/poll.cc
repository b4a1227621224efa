#include "poll.h"

#include <time.h>

#include <cstdint>

#include "io_access.h"
#include "napi_args.h"
#include "region.h"

namespace mmio {
namespace {

uint64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

void SpinUntil(uint64_t until_ns) {
  while (NowNs() < until_ns) cpu_relax();
}

uint64_t OrderedRead(const volatile void* addr, uint32_t width) {
  switch (width) {
    case 1: return ordered_read<uint8_t>(addr);
    case 2: return ordered_read<uint16_t>(addr);
    case 4: return ordered_read<uint32_t>(addr);
    default: return ordered_read<uint64_t>(addr);
  }
}

// Mask and value: numbers for widths up to 4 (no BigInt traffic on the common path), bigints for 8.
bool GetOperand(napi_env env, napi_value v, uint32_t width, uint64_t* out) {
  if (width == 8) {
    bool lossless;
    return napi_get_value_bigint_uint64(env, v, out, &lossless) == napi_ok;
  }
  uint32_t u;
  if (napi_get_value_uint32(env, v, &u) != napi_ok) return false;
  *out = u;
  return true;
}

}  // namespace

napi_value PollAtomic(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  void* external = nullptr;
  uint32_t width = 0;
  uint64_t offset = 0;
  double delay_us = 0, timeout_us = 0;
  uint64_t mask = 0, want = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 7 ||
      napi_get_value_external(env, argv[0], &external) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &width) != napi_ok || !GetIndex(env, argv[2], &offset) ||
      !GetOperand(env, argv[3], width, &mask) || !GetOperand(env, argv[4], width, &want) ||
      napi_get_value_double(env, argv[5], &delay_us) != napi_ok ||
      napi_get_value_double(env, argv[6], &timeout_us) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "pollAtomic: bad arguments");
    return nullptr;
  }
  Region* r = static_cast<Region*>(external);
  if ((width != 1 && width != 2 && width != 4 && width != 8) || !r->Fits(offset, width)) return ThrowBadAccess(env, r);
  const volatile void* addr = r->ptr + offset;
  const uint64_t delay_ns = static_cast<uint64_t>(delay_us * 1000.0);
  const uint64_t deadline = timeout_us > 0 ? NowNs() + static_cast<uint64_t>(timeout_us * 1000.0) : UINT64_MAX;
  uint64_t v;
  for (;;) {
    // As poll_timeout_us_atomic (Linux 6.18): the expiry is noted before the read, so the read after it decides.
    const bool expired = NowNs() > deadline;
    v = OrderedRead(addr, width);
    if (r->fault->faulted) break;  // a bus fault: the caller reports it
    if ((v & mask) == want) break;
    if (expired) break;
    if (delay_ns > 0) SpinUntil(NowNs() + delay_ns); else cpu_relax();
  }
  napi_value result;
  if (width == 8) {
    napi_create_bigint_uint64(env, v, &result);
  } else {
    napi_create_uint32(env, static_cast<uint32_t>(v), &result);
  }
  return result;
}

}  // namespace mmio
