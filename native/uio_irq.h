// Waiting for UIO interrupts without blocking the event loop (drivers/uio/uio.c): the /dev/uioN descriptor
// is watched with a libuv poll handle; when it turns readable, a 4-byte read() returns the event count.
#pragma once

#include <napi.h>

namespace mmio {

// irqOpen(path) -> handle. Opens O_RDWR|O_NONBLOCK|O_CLOEXEC.
Napi::Value IrqOpen(const Napi::CallbackInfo& info);
// irqWait(handle, callback(errno: number, count: number)): one wait; the callback runs once.
Napi::Value IrqWait(const Napi::CallbackInfo& info);
// irqCancel(handle): stops a pending wait; its callback is not called.
Napi::Value IrqCancel(const Napi::CallbackInfo& info);
// irqControl(handle, enable) -> 0 or an errno (ENOSYS where the driver has no irqcontrol).
Napi::Value IrqControl(const Napi::CallbackInfo& info);
// irqClose(handle): cancels any wait and closes the descriptor. Idempotent.
Napi::Value IrqClose(const Napi::CallbackInfo& info);

}  // namespace mmio
