// Waiting for UIO interrupts without blocking the event loop (drivers/uio/uio.c): the /dev/uioN descriptor
// is watched with a libuv poll handle; when it turns readable, a 4-byte read() returns the event count.
#pragma once

#include <napi.h>

namespace mmio {

// irqOpen(path, configPath?) -> handle. Opens path O_RDWR|O_NONBLOCK|O_CLOEXEC; configPath (the PCI device's
// sysfs config, for drivers without irqcontrol) is opened by the first irqSetIntxDisabled.
Napi::Value IrqOpen(const Napi::CallbackInfo& info);
// irqOpenEventfd(label) -> handle over a new eventfd (EFD_NONBLOCK|EFD_CLOEXEC), for VFIO_DEVICE_SET_IRQS: a wait's
// callback then gets the number of signals since the last read (the eventfd's 8-byte counter). label names it
// in errors.
Napi::Value IrqOpenEventfd(const Napi::CallbackInfo& info);
// irqFd(handle) -> the descriptor number (-1 once closed).
Napi::Value IrqFd(const Napi::CallbackInfo& info);
// irqWait(handle, callback(errno: number, count: number)): one wait; the callback runs once. The device's
// poll handle persists between waits (unref'd while none is pending).
Napi::Value IrqWait(const Napi::CallbackInfo& info);
// irqCancel(handle): stops a pending wait; its callback is not called.
Napi::Value IrqCancel(const Napi::CallbackInfo& info);
// irqTryRead(handle, busyUs = 0) -> the count or signals already pending, else -1; busyUs > 0: keep reading
// (spinning) for up to that many µs.
Napi::Value IrqTryRead(const Napi::CallbackInfo& info);
Napi::Value IrqSetTryRead(const Napi::CallbackInfo& info);
// irqControl(handle, enable) -> 0 or an errno (ENOSYS where the driver has no irqcontrol).
Napi::Value IrqControl(const Napi::CallbackInfo& info);
// irqSetIntxDisabled(handle, disabled): set or clear PCI_COMMAND's Interrupt Disable bit through the
// device's sysfs config (kept open until irqClose). Throws a syscall error (open, pread, pwrite).
Napi::Value IrqSetIntxDisabled(const Napi::CallbackInfo& info);
// irqClose(handle): cancels any wait and closes the descriptors. Idempotent.
Napi::Value IrqClose(const Napi::CallbackInfo& info);

}  // namespace mmio
