#include "ofd_lock.h"

#include <errno.h>
#include <fcntl.h>

#include <cstdint>

namespace mmio {
namespace {

struct flock Range(const Napi::CallbackInfo& info, short type) {
  bool lossless;
  struct flock fl = {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(info[1].As<Napi::BigInt>().Uint64Value(&lossless));
  fl.l_len = static_cast<off_t>(info[2].As<Napi::BigInt>().Uint64Value(&lossless));
  fl.l_pid = 0;  // required for OFD locks
  return fl;
}

int Fd(const Napi::CallbackInfo& info) { return info[0].As<Napi::Number>().Int32Value(); }

}  // namespace

Napi::Value OfdLock(const Napi::CallbackInfo& info) {
  struct flock fl = Range(info, F_WRLCK);
  const int rc = fcntl(Fd(info), F_OFD_SETLK, &fl);
  return Napi::Number::New(info.Env(), rc == 0 ? 0 : errno);
}

Napi::Value OfdUnlock(const Napi::CallbackInfo& info) {
  struct flock fl = Range(info, F_UNLCK);
  const int rc = fcntl(Fd(info), F_OFD_SETLK, &fl);
  return Napi::Number::New(info.Env(), rc == 0 ? 0 : errno);
}

Napi::Value OfdConflict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct flock fl = Range(info, F_WRLCK);
  if (fcntl(Fd(info), F_OFD_GETLK, &fl) != 0 || fl.l_type == F_UNLCK) return env.Null();
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::BigInt::New(env, static_cast<uint64_t>(fl.l_start)));
  result.Set(1u, Napi::BigInt::New(env, static_cast<uint64_t>(fl.l_len)));
  return result;
}

}  // namespace mmio
