#include "uio_irq.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <uv.h>

#include <cstdint>
#include <string>

#include "syscall_error.h"

namespace mmio {
namespace {

struct IrqHandle;

// One wait's libuv poll handle. It lives apart from the IrqHandle so that it can outlive it: a close that is
// still pending when the environment (a worker) is torn down completes inside an async cleanup hook, which
// Node waits for, so the close callback runs while the addon is still loaded. (Closed after the environment,
// the callback pointed into an unloaded addon and a worker exiting with a pending wait crashed the process.)
struct Watch {
  uv_poll_t poll;
  IrqHandle* irq = nullptr;                       // null once detached from its IrqHandle
  napi_async_cleanup_hook_handle hook = nullptr;  // registered while the poll handle is open
};

struct IrqHandle {
  int fd = -1;
  std::string path;
  Watch* watch = nullptr;  // while a wait is pending
  Napi::FunctionReference callback;
};

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
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosedAtTeardown);
}

void StopWatching(IrqHandle* irq) {
  Watch* w = irq->watch;
  if (w == nullptr) return;
  irq->watch = nullptr;
  w->irq = nullptr;
  uv_poll_stop(&w->poll);
  napi_remove_async_cleanup_hook(w->hook);
  w->hook = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
}

void Finish(IrqHandle* irq, int err, uint32_t count) {
  StopWatching(irq);
  if (irq->callback.IsEmpty()) return;
  Napi::Env env = irq->callback.Env();
  Napi::HandleScope scope(env);
  Napi::Function cb = irq->callback.Value();
  irq->callback.Reset();
  // MakeCallback: runs the callback as libuv's own callbacks do, with microtasks and async hooks.
  cb.MakeCallback(env.Global(), {Napi::Number::New(env, err), Napi::Number::New(env, count)});
}

void OnReadable(uv_poll_t* handle, int status, int) {
  IrqHandle* irq = static_cast<Watch*>(handle->data)->irq;
  if (irq == nullptr) return;
  if (status < 0) {
    Finish(irq, -status, 0);
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

}  // namespace

Napi::Value IrqOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const int fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw SyscallError(env, errno, "open", path);
  IrqHandle* irq = new IrqHandle();
  irq->fd = fd;
  irq->path = path;
  return Napi::External<IrqHandle>::New(env, irq, [](Napi::Env, IrqHandle* h) {
    StopWatching(h);
    if (h->fd >= 0) close(h->fd);
    delete h;
  });
}

Napi::Value IrqWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  IrqHandle* irq = Unwrap(info);
  if (irq->fd < 0) throw SyscallError(env, EBADF, "read", irq->path);
  if (irq->watch != nullptr) throw Napi::Error::New(env, "a wait is already pending on this device");
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  Watch* w = new Watch();
  int rc = uv_poll_init(loop, &w->poll, irq->fd);
  if (rc != 0) {
    delete w;
    throw SyscallError(env, -rc, "poll", irq->path);
  }
  w->poll.data = w;
  w->irq = irq;
  if (napi_add_async_cleanup_hook(env, OnTeardown, w, &w->hook) != napi_ok) {
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
    throw Napi::Error::New(env, "could not register the interrupt wait for environment teardown");
  }
  irq->watch = w;
  irq->callback = Napi::Persistent(info[1].As<Napi::Function>());
  rc = uv_poll_start(&w->poll, UV_READABLE, OnReadable);
  if (rc != 0) {
    irq->callback.Reset();
    StopWatching(irq);
    throw SyscallError(env, -rc, "poll", irq->path);
  }
  return env.Undefined();
}

Napi::Value IrqCancel(const Napi::CallbackInfo& info) {
  IrqHandle* irq = Unwrap(info);
  StopWatching(irq);
  irq->callback.Reset();
  return info.Env().Undefined();
}

Napi::Value IrqControl(const Napi::CallbackInfo& info) {
  IrqHandle* irq = Unwrap(info);
  const int32_t value = info[1].ToBoolean() ? 1 : 0;
  if (irq->fd < 0) return Napi::Number::New(info.Env(), EBADF);
  const ssize_t n = write(irq->fd, &value, sizeof value);
  return Napi::Number::New(info.Env(), n == sizeof value ? 0 : (n < 0 ? errno : EIO));
}

Napi::Value IrqClose(const Napi::CallbackInfo& info) {
  IrqHandle* irq = Unwrap(info);
  StopWatching(irq);
  irq->callback.Reset();
  if (irq->fd >= 0) close(irq->fd);
  irq->fd = -1;
  return info.Env().Undefined();
}

}  // namespace mmio
