// Errors thrown to JS from a failing system call. They carry the positive errno, the call and the path
// (and `mmioSyscallError: true`); lib/linux/map-file.ts (and the other lib/linux callers) turn them into
// Node-style errors with systemError() in lib/core/errors.ts: libuv's message text, code, errno, syscall,
// path and a hint.
#pragma once

#include <napi.h>

#include <string>

namespace mmio {

inline Napi::Error SyscallError(Napi::Env env, int err, const char* syscall, const std::string& path,
                                const std::string& detail = "") {
  Napi::Error e = Napi::Error::New(env, detail.empty() ? std::string(syscall) + " failed" : detail);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) e.Set("path", Napi::String::New(env, path));
  e.Set("mmioSyscallError", Napi::Boolean::New(env, true));
  return e;
}

}  // namespace mmio
