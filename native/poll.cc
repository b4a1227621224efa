#include "poll.h"

#include <time.h>

#include <algorithm>
#include <cstdint>

#include "io_access.h"
#include "napi_args.h"
#include "region.h"

namespace mmio {
namespace {

// The longest one call spins before returning to JS (ns).
constexpr uint64_t kSliceNs = 20ULL * 1000 * 1000;
// The range of a delay or timeout, as lib/core/checks.ts checkMicros: 0 .. (2^31 - 1) ms, in us.
constexpr double kMaxMicros = 2147483647.0 * 1000.0;

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
  if (!(delay_us >= 0) || !(timeout_us >= 0) || delay_us > kMaxMicros || timeout_us > kMaxMicros) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "pollAtomic: delay or timeout out of range");
    return nullptr;
  }
  const uint64_t delay_ns = static_cast<uint64_t>(delay_us * 1000.0);
  // One call spins for at most one slice, then returns to JS (which calls again until its own deadline), so
  // worker.terminate(), signals and process exit are never held off by a poll that waits forever.
  const uint64_t start = NowNs();
  const uint64_t slice_end = start + kSliceNs;
  const uint64_t deadline =
      timeout_us > 0 ? std::min(start + static_cast<uint64_t>(timeout_us * 1000.0), slice_end) : slice_end;
  uint64_t v;
  for (;;) {
    // As poll_timeout_us_atomic (Linux 6.18): the expiry is noted before the read, so the read after it decides.
    const bool expired = NowNs() > deadline;
    v = OrderedRead(addr, width);
    if (r->fault->faulted) break;  // a bus fault: the caller reports it
    if ((v & mask) == want) break;
    if (expired) break;
    // A delay never spins past the deadline: the read after it comes on time.
    if (delay_ns > 0) SpinUntil(std::min(NowNs() + delay_ns, deadline + 1)); else cpu_relax();
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
