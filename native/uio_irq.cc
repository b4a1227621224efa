#include "uio_irq.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <time.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "io_access.h"
#include "js_throw.h"
#include "syscall_error.h"

namespace mmio {
namespace {

struct IrqHandle;

// The device's libuv poll handle. One per open device, made by its first wait and kept until the device is
// closed: creating and closing a handle for every wait cost an ioctl (uv_poll_init sets O_NONBLOCK again),
// four epoll_ctl calls, a cleanup-hook registration and a uv_close per interrupt (strace in the bench guest:
// six epoll_ctl and an ioctl per interrupt). Between waits the handle is unref'd, so an idle device never
// keeps the event loop alive, and it stays started where it can: the next wait then costs no system call at
// all before the loop's epoll_wait.
//
// It lives apart from the IrqHandle so that it can outlive it: a close that is still pending when the
// environment (a worker) is torn down completes inside an async cleanup hook, which Node waits for, so the
// close callback runs while the addon is still loaded. (Closed after the environment, the callback pointed
// into an unloaded addon and a worker exiting with a pending wait crashed the process.) The hook is
// registered for as long as the poll handle is open, which is now the device's lifetime from its first wait.
struct Watch {
  uv_poll_t poll;
  IrqHandle* irq = nullptr;                       // null once detached from its IrqHandle
  napi_async_cleanup_hook_handle hook = nullptr;  // registered while the poll handle is open
};

struct IrqHandle {
  int fd = -1;
  bool eventfd = false;  // an eventfd (VFIO): an 8-byte read returns the signals since the last read
  std::string path;
  int config_fd = -1;  // the PCI device's sysfs config, opened by the first INTx (un)mask, kept until close
  std::string config_path;
  Watch* watch = nullptr;           // from the first wait until close
  Napi::FunctionReference callback;  // set while a wait is pending
};

uv_handle_t* AsHandle(Watch* w) { return reinterpret_cast<uv_handle_t*>(&w->poll); }

void OnClosed(uv_handle_t* h) { delete static_cast<Watch*>(h->data); }

// Environment teardown with the poll handle still open: close it, and let Node go on once it is closed.
void OnClosedAtTeardown(uv_handle_t* h) {
  Watch* w = static_cast<Watch*>(h->data);
  napi_async_cleanup_hook_handle hook = w->hook;
  delete w;
  napi_remove_async_cleanup_hook(hook);
}

void OnTeardown(napi_async_cleanup_hook_handle, void* arg) {
  Watch* w = static_cast<Watch*>(arg);
  if (w->irq != nullptr) w->irq->watch = nullptr;
  w->irq = nullptr;
  uv_poll_stop(&w->poll);
  uv_close(AsHandle(w), OnClosedAtTeardown);
}

// Close the device's poll handle (at close() or when the handle is garbage-collected). Before the
// descriptor is closed: uv_poll_stop takes it out of the loop's epoll set.
void CloseWatch(IrqHandle* irq) {
  Watch* w = irq->watch;
  if (w == nullptr) return;
  irq->watch = nullptr;
  w->irq = nullptr;
  uv_poll_stop(&w->poll);
  napi_remove_async_cleanup_hook(w->hook);
  w->hook = nullptr;
  uv_close(AsHandle(w), OnClosed);
}

// No wait pending any more (delivered, failed or cancelled): drop the callback and let the loop exit
// without us. The poll handle stays started (see OnReadable for when it stops).
void EndWait(IrqHandle* irq) {
  irq->callback.Reset();
  if (irq->watch != nullptr) uv_unref(AsHandle(irq->watch));
}

void Finish(IrqHandle* irq, int err, double count) {
  if (irq->callback.IsEmpty()) return;
  Napi::Env env = irq->callback.Env();
  Napi::HandleScope scope(env);
  Napi::Function cb = irq->callback.Value();
  EndWait(irq);  // before the callback: it may start the next wait at once
  // MakeCallback: runs the callback as libuv's own callbacks do, with microtasks and async hooks.
  cb.MakeCallback(env.Global(), {Napi::Number::New(env, err), Napi::Number::New(env, count)});
}

void OnReadable(uv_poll_t* handle, int status, int) {
  Watch* w = static_cast<Watch*>(handle->data);
  IrqHandle* irq = w->irq;
  if (irq == nullptr) return;
  if (irq->callback.IsEmpty()) {
    // An interrupt (or an error) with no wait pending. Leave it unread: the kernel keeps counting, and the
    // next wait finds the descriptor readable at once and reads the count then, as it always did (the
    // `missed` arithmetic in lib/uio-interrupts.ts relies on reading the latest count). Stop watching, or
    // the level-triggered poll would wake the loop again and again until that wait comes.
    uv_poll_stop(handle);
    return;
  }
  if (status < 0) {
    Finish(irq, -status, 0);
    return;
  }
  if (irq->eventfd) {
    uint64_t signals = 0;
    const ssize_t n = read(irq->fd, &signals, sizeof signals);
    if (n == sizeof signals) {
      Finish(irq, 0, static_cast<double>(signals));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      return;
    } else {
      Finish(irq, n < 0 ? errno : EIO, 0);
    }
    return;
  }
  uint32_t count = 0;
  const ssize_t n = read(irq->fd, &count, sizeof count);
  if (n == sizeof count) {
    Finish(irq, 0, count);
  } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    return;  // spurious wake-up: keep watching
  } else {
    Finish(irq, n < 0 ? errno : EIO, 0);
  }
}

IrqHandle* Unwrap(const Napi::CallbackInfo& info) { return info[0].As<Napi::External<IrqHandle>>().Data(); }

// The device's poll handle, made on first use; nullptr after throwing.
Watch* EnsureWatch(Napi::Env env, IrqHandle* irq) {
  if (irq->watch != nullptr) return irq->watch;
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  Watch* w = new Watch();
  const int rc = uv_poll_init(loop, &w->poll, irq->fd);
  if (rc != 0) {
    delete w;
    ThrowJs(SyscallError(env, -rc, "poll", irq->path));
    return nullptr;
  }
  w->poll.data = w;
  uv_unref(AsHandle(w));  // referenced only while a wait is pending
  if (napi_add_async_cleanup_hook(env, OnTeardown, w, &w->hook) != napi_ok) {
    uv_close(AsHandle(w), OnClosed);
    ThrowJs(Napi::Error::New(env, "could not register the interrupt wait for environment teardown"));
    return nullptr;
  }
  w->irq = irq;
  irq->watch = w;
  return w;
}

}  // namespace

Napi::Value IrqOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const int fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return ThrowJs(SyscallError(env, errno, "open", path));
  IrqHandle* irq = new IrqHandle();
  irq->fd = fd;
  irq->path = path;
  if (info.Length() > 1 && info[1].IsString()) irq->config_path = info[1].As<Napi::String>().Utf8Value();
  return Napi::External<IrqHandle>::New(env, irq, [](Napi::Env, IrqHandle* h) {
    CloseWatch(h);
    if (h->fd >= 0) close(h->fd);
    if (h->config_fd >= 0) close(h->config_fd);
    delete h;
  });
}

Napi::Value IrqOpenEventfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string label = info[0].As<Napi::String>().Utf8Value();
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return ThrowJs(SyscallError(env, errno, "eventfd", label));
  IrqHandle* irq = new IrqHandle();
  irq->fd = fd;
  irq->eventfd = true;
  irq->path = label;
  return Napi::External<IrqHandle>::New(env, irq, [](Napi::Env, IrqHandle* h) {
    CloseWatch(h);
    if (h->fd >= 0) close(h->fd);
    delete h;
  });
}

Napi::Value IrqFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Unwrap(info)->fd); }

Napi::Value IrqWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  IrqHandle* irq = Unwrap(info);
  if (irq->fd < 0) return ThrowJs(SyscallError(env, EBADF, "read", irq->path));
  if (!irq->callback.IsEmpty()) return ThrowJs(Napi::Error::New(env, "a wait is already pending on this device"));
  Watch* w = EnsureWatch(env, irq);
  if (w == nullptr) return Napi::Value();
  // uv_poll_start on a started handle stops it first (an epoll_ctl DEL, then an ADD): start only a stopped one.
  if (!uv_is_active(AsHandle(w))) {
    const int rc = uv_poll_start(&w->poll, UV_READABLE, OnReadable);
    if (rc != 0) return ThrowJs(SyscallError(env, -rc, "poll", irq->path));
  }
  irq->callback = Napi::Persistent(info[1].As<Napi::Function>());
  uv_ref(AsHandle(w));
  return env.Undefined();
}

// The wait's fast path: when the interrupt has already fired, a wait needs no turn of the event loop. A
// non-blocking read (both descriptors are O_NONBLOCK: the eventfd by EFD_NONBLOCK, /dev/uioN by IrqOpen), the
// same read OnReadable makes: an eventfd's signals, or UIO's event count. With busy_us > 0 the read is repeated,
// with the CPU's pause/yield hint between, until it succeeds or busy_us have passed (a wait's busyPollUs: the
// thread spins instead of sleeping in epoll_wait, as the kernel's busy polling and DPDK do). -1 when nothing came
// (EAGAIN), the handle is closed, a wait is pending, or the fast path is switched off (the benches compare both
// paths in one boot). Any other read error is left for the poll path to report.
static std::atomic<bool> try_read_enabled{true};  // process-wide; workers share the addon
static constexpr double kMaxBusyUs = 10000;       // lib/core/checks.ts MAX_BUSY_POLL_US

namespace {

uint64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

// One non-blocking read: the count or signals, or -1 (nothing pending, or an error left for the poll path).
double ReadOnce(const IrqHandle* irq) {
  if (irq->eventfd) {
    uint64_t signals = 0;
    const ssize_t n = read(irq->fd, &signals, sizeof signals);
    return n == sizeof signals ? static_cast<double>(signals) : -1;
  }
  uint32_t count = 0;
  const ssize_t n = read(irq->fd, &count, sizeof count);
  return n == sizeof count ? static_cast<double>(count) : -1;
}

}  // namespace

Napi::Value IrqTryRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  IrqHandle* irq = Unwrap(info);
  if (!try_read_enabled || irq->fd < 0 || !irq->callback.IsEmpty()) return Napi::Number::New(env, -1);
  double got = ReadOnce(irq);
  // Checked in JS (0..MAX_BUSY_POLL_US); kept in that range here too, whatever a direct caller passes.
  double busy_us = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0;
  if (!(busy_us > 0)) busy_us = 0;
  if (busy_us > kMaxBusyUs) busy_us = kMaxBusyUs;
  if (got < 0 && busy_us > 0) {
    const uint64_t until = MonotonicNs() + static_cast<uint64_t>(busy_us * 1000);
    while (got < 0 && (errno == EAGAIN || errno == EINTR) && MonotonicNs() < until) {
      cpu_relax();
      got = ReadOnce(irq);
    }
  }
  return Napi::Number::New(env, got);
}

Napi::Value IrqSetTryRead(const Napi::CallbackInfo& info) {
  try_read_enabled = info[0].ToBoolean();
  return info.Env().Undefined();
}

Napi::Value IrqCancel(const Napi::CallbackInfo& info) {
  EndWait(Unwrap(info));
  return info.Env().Undefined();
}

Napi::Value IrqControl(const Napi::CallbackInfo& info) {
  IrqHandle* irq = Unwrap(info);
  const int32_t value = info[1].ToBoolean() ? 1 : 0;
  if (irq->fd < 0) return Napi::Number::New(info.Env(), EBADF);
  const ssize_t n = write(irq->fd, &value, sizeof value);
  return Napi::Number::New(info.Env(), n == sizeof value ? 0 : (n < 0 ? errno : EIO));
}

// PCI_COMMAND is the 16-bit word at offset 4 of config space; bit 10 is Interrupt Disable. It is read and
// written as the whole word, as the kernel's pci_intx() does: a device (QEMU's PCI core among them) may act on
// the bit only when a write covers the register's first byte, and a 1-byte write of byte 5 then left the line
// deasserted on unmask, the interrupt lost and the level count skewed (an IRQ storm: "Disabling IRQ #20").
constexpr off_t kPciCommand = 4;
constexpr uint16_t kPciCommandIntxDisable = 0x0400;

Napi::Value IrqSetIntxDisabled(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  IrqHandle* irq = Unwrap(info);
  const bool disabled = info[1].ToBoolean();
  if (irq->config_path.empty()) return ThrowJs(SyscallError(env, ENODEV, "open", irq->path, "not a PCI device"));
  if (irq->fd < 0) return ThrowJs(SyscallError(env, EBADF, "pread", irq->config_path));
  // Kept open from the first call to close(): an unmask per interrupt used to open and close it every time.
  if (irq->config_fd < 0) {
    irq->config_fd = open(irq->config_path.c_str(), O_RDWR | O_CLOEXEC);
    if (irq->config_fd < 0) return ThrowJs(SyscallError(env, errno, "open", irq->config_path));
  }
  uint8_t word[2] = {0, 0};  // config space is little-endian
  const ssize_t n = pread(irq->config_fd, word, 2, kPciCommand);
  if (n != 2) return ThrowJs(SyscallError(env, n < 0 ? errno : EIO, "pread", irq->config_path));
  const uint16_t command = static_cast<uint16_t>(word[0] | (word[1] << 8));
  const uint16_t next = disabled ? (command | kPciCommandIntxDisable) : (command & ~kPciCommandIntxDisable);
  if (next != command) {
    const uint8_t out[2] = {static_cast<uint8_t>(next & 0xff), static_cast<uint8_t>(next >> 8)};
    const ssize_t m = pwrite(irq->config_fd, out, 2, kPciCommand);
    if (m != 2) return ThrowJs(SyscallError(env, m < 0 ? errno : EIO, "pwrite", irq->config_path));
  }
  return env.Undefined();
}

Napi::Value IrqClose(const Napi::CallbackInfo& info) {
  IrqHandle* irq = Unwrap(info);
  CloseWatch(irq);
  irq->callback.Reset();
  if (irq->fd >= 0) close(irq->fd);
  irq->fd = -1;
  if (irq->config_fd >= 0) close(irq->config_fd);
  irq->config_fd = -1;
  return info.Env().Undefined();
}

}  // namespace mmio
