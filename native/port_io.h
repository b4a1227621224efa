// x86 port I/O (inb/outb…): the in/out instructions themselves, after ioperm() grants this thread's
// process access to the ports. Elsewhere every call throws ENOTSUP.
#pragma once

#include <napi.h>

namespace mmio {

// portIn(port, width) -> value; portOut(port, width, value). Throw a syscall error (ioperm's EPERM…).
Napi::Value PortIn(const Napi::CallbackInfo& info);
Napi::Value PortOut(const Napi::CallbackInfo& info);

}  // namespace mmio
