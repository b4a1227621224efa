// The addon is built without C++ exceptions (binding.gyp: -fno-exceptions, NAPI_DISABLE_CPP_EXCEPTIONS), so no
// C++ exception can ever cross the Node-API boundary: an error is set pending in JS and the callback returns.
#pragma once

#include <napi.h>

namespace mmio {

// Throw `e` into JS; returns the empty value a Napi callback returns after throwing.
inline Napi::Value ThrowJs(const Napi::Error& e) {
  e.ThrowAsJavaScriptException();
  return Napi::Value();
}

}  // namespace mmio
