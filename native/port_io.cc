#include "port_io.h"

#include <errno.h>

#include <bitset>
#include <cstdint>

#include "js_throw.h"
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

// False after throwing.
bool Grant(Napi::Env env, uint32_t port, uint32_t width) {
  bool all = true;
  for (uint32_t p = port; p < port + width; p++) all = all && granted[p];
  if (all) return true;
  if (ioperm(port, width, 1) != 0) {
    ThrowJs(SyscallError(env, errno, "ioperm", ""));
    return false;
  }
  for (uint32_t p = port; p < port + width; p++) granted[p] = true;
  return true;
}
#endif

// False after throwing.
bool CheckArgs(Napi::Env env, uint32_t port, uint32_t width) {
  if ((width != 1 && width != 2 && width != 4) || port > 0xffff || port + width > 0x10000) {
    ThrowJs(Napi::RangeError::New(env, "port must be 0..0xffff and width 1, 2 or 4"));
    return false;
  }
  return true;
}

}  // namespace

Napi::Value PortIn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t port = info[0].As<Napi::Number>().Uint32Value();
  const uint32_t width = info[1].As<Napi::Number>().Uint32Value();
  if (!CheckArgs(env, port, width)) return Napi::Value();
#if defined(__x86_64__)
  if (!Grant(env, port, width)) return Napi::Value();
  uint32_t v = width == 1 ? inb(port) : width == 2 ? inw(port) : inl(port);
  return Napi::Number::New(env, v);
#else
  return ThrowJs(SyscallError(env, ENOTSUP, "ioperm", "", "port I/O exists only on x86"));
#endif
}

Napi::Value PortOut(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t port = info[0].As<Napi::Number>().Uint32Value();
  const uint32_t width = info[1].As<Napi::Number>().Uint32Value();
  const uint32_t value = info[2].As<Napi::Number>().Uint32Value();
  if (!CheckArgs(env, port, width)) return Napi::Value();
#if defined(__x86_64__)
  if (!Grant(env, port, width)) return Napi::Value();
  if (width == 1) outb(static_cast<uint8_t>(value), port);
  else if (width == 2) outw(static_cast<uint16_t>(value), port);
  else outl(value, port);
  return env.Undefined();
#else
  (void)value;
  return ThrowJs(SyscallError(env, ENOTSUP, "ioperm", "", "port I/O exists only on x86"));
#endif
}

}  // namespace mmio
