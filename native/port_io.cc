#include "port_io.h"

#include <errno.h>

#include <bitset>
#include <cstdint>

#include "syscall_error.h"

#if defined(__x86_64__)
#include <sys/io.h>
#endif

namespace mmio {
namespace {

#if defined(__x86_64__)
// ioperm() grants belong to the calling thread (each worker has its own) and last for its life: ask once
// per port.
thread_local std::bitset<0x10000> granted;

void Grant(Napi::Env env, uint32_t port, uint32_t width) {
  bool all = true;
  for (uint32_t p = port; p < port + width; p++) all = all && granted[p];
  if (all) return;
  if (ioperm(port, width, 1) != 0) throw SyscallError(env, errno, "ioperm", "");
  for (uint32_t p = port; p < port + width; p++) granted[p] = true;
}
#endif

void CheckArgs(Napi::Env env, uint32_t port, uint32_t width) {
  if ((width != 1 && width != 2 && width != 4) || port > 0xffff || port + width > 0x10000) {
    throw Napi::RangeError::New(env, "port must be 0..0xffff and width 1, 2 or 4");
  }
}

}  // namespace

Napi::Value PortIn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t port = info[0].As<Napi::Number>().Uint32Value();
  const uint32_t width = info[1].As<Napi::Number>().Uint32Value();
  CheckArgs(env, port, width);
#if defined(__x86_64__)
  Grant(env, port, width);
  uint32_t v = width == 1 ? inb(port) : width == 2 ? inw(port) : inl(port);
  return Napi::Number::New(env, v);
#else
  throw SyscallError(env, ENOTSUP, "ioperm", "", "port I/O exists only on x86");
#endif
}

Napi::Value PortOut(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t port = info[0].As<Napi::Number>().Uint32Value();
  const uint32_t width = info[1].As<Napi::Number>().Uint32Value();
  const uint32_t value = info[2].As<Napi::Number>().Uint32Value();
  CheckArgs(env, port, width);
#if defined(__x86_64__)
  Grant(env, port, width);
  if (width == 1) outb(static_cast<uint8_t>(value), port);
  else if (width == 2) outw(static_cast<uint16_t>(value), port);
  else outl(value, port);
  return env.Undefined();
#else
  (void)value;
  throw SyscallError(env, ENOTSUP, "ioperm", "", "port I/O exists only on x86");
#endif
}

}  // namespace mmio
