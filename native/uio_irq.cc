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

struct IrqHandle {
  int fd = -1;
  std::string path;
  uv_poll_t* poll = nullptr;  // allocated while watching; freed in its close callback
  Napi::FunctionReference callback;
};

void OnPollClosed(uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); }

void StopWatching(IrqHandle* irq) {
  if (irq->poll == nullptr) return;
  uv_poll_stop(irq->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(irq->poll), OnPollClosed);
  irq->poll = nullptr;
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
  IrqHandle* irq = static_cast<IrqHandle*>(handle->data);
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
  if (irq->poll != nullptr) throw Napi::Error::New(env, "a wait is already pending on this device");
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  irq->poll = new uv_poll_t();
  int rc = uv_poll_init(loop, irq->poll, irq->fd);
  if (rc != 0) {
    delete irq->poll;
    irq->poll = nullptr;
    throw SyscallError(env, -rc, "poll", irq->path);
  }
  irq->poll->data = irq;
  irq->callback = Napi::Persistent(info[1].As<Napi::Function>());
  rc = uv_poll_start(irq->poll, UV_READABLE, OnReadable);
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
