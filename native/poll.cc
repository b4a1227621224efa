#include "poll.h"

#include <time.h>

#include "io_access.h"
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

}  // namespace

Napi::Value PollAtomic(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Region* r = info[0].As<Napi::External<Region>>().Data();
  const uint32_t width = info[1].As<Napi::Number>().Uint32Value();
  const uint64_t offset = static_cast<uint64_t>(info[2].As<Napi::Number>().DoubleValue());
  bool lossless;
  const uint64_t mask = info[3].As<Napi::BigInt>().Uint64Value(&lossless);
  const uint64_t want = info[4].As<Napi::BigInt>().Uint64Value(&lossless);
  const double delay_us = info[5].As<Napi::Number>().DoubleValue();
  const double timeout_us = info[6].As<Napi::Number>().DoubleValue();
  if ((width != 1 && width != 2 && width != 4 && width != 8) || !r->Fits(offset, width)) {
    throw Napi::RangeError::New(env, r->mapped ? "offset out of range or unaligned" : "region is unmapped");
  }
  const volatile void* addr = r->ptr + offset;
  const uint64_t delay_ns = static_cast<uint64_t>(delay_us * 1000.0);
  const uint64_t deadline = timeout_us > 0 ? NowNs() + static_cast<uint64_t>(timeout_us * 1000.0) : UINT64_MAX;
  uint64_t v;
  bool met = false;
  for (;;) {
    v = OrderedRead(addr, width);
    if (r->fault->faulted) break;  // a bus fault: the caller reports it
    if ((v & mask) == want) { met = true; break; }
    if (NowNs() > deadline) {
      v = OrderedRead(addr, width);
      met = (v & mask) == want;
      break;
    }
    if (delay_ns > 0) SpinUntil(NowNs() + delay_ns); else cpu_relax();
  }
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Boolean::New(env, met));
  result.Set(1u, Napi::BigInt::New(env, v));
  return result;
}

}  // namespace mmio
