// Module entry: exports the mapping, block, polling and barrier functions. Context-aware (one EnvState
// per main thread or worker), so it loads in worker_threads.
#include <napi.h>
#include <unistd.h>

#include <vector>

#include "accessors.h"
#include "block_io.h"
#include "io_access.h"
#include "map_file.h"
#include "ofd_lock.h"
#include "poll.h"
#include "poll_timer.h"
#include "port_io.h"
#include "region.h"
#include "uio_irq.h"
#include "vfio.h"

namespace mmio {

EnvState* GetEnvState(napi_env env) {
  void* data = nullptr;
  if (napi_get_instance_data(env, &data) != napi_ok) return nullptr;
  return static_cast<EnvState*>(data);
}

namespace {

// At environment teardown (process exit or a worker ending), unmap whatever is still mapped.
void FinalizeEnvState(napi_env, void* data, void*) {
  EnvState* state = static_cast<EnvState*>(data);
  std::vector<Region*> still(state->live.begin(), state->live.end());
  for (Region* r : still) {
    r->env = nullptr;  // the env is going: later finalizers must not look it up
    Unmap(r, nullptr);
  }
  delete state;
}

Napi::Value Mb(const Napi::CallbackInfo& info) { mb(); return info.Env().Undefined(); }
Napi::Value Rmb(const Napi::CallbackInfo& info) { rmb(); return info.Env().Undefined(); }
Napi::Value Wmb(const Napi::CallbackInfo& info) { wmb(); return info.Env().Undefined(); }

const char* ArchName() {
#if defined(__x86_64__)
  return "x64";
#elif defined(__aarch64__)
  return "arm64";
#else
  return "arm";
#endif
}

// Exports a function written against the C N-API (the hot block and poll calls: no wrapper cost).
void SetRaw(Napi::Env env, Napi::Object& exports, const char* name, napi_callback cb) {
  napi_value fn;
  NAPI_THROW_IF_FAILED_VOID(env, napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn));
  exports.Set(name, Napi::Value(env, fn));
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  napi_set_instance_data(env, new EnvState(), FinalizeEnvState, nullptr);
  exports.Set("map", Napi::Function::New(env, Map, "map"));
  exports.Set("mapFd", Napi::Function::New(env, MapFd, "mapFd"));
  exports.Set("unmap", Napi::Function::New(env, UnmapJs, "unmap"));
  exports.Set("bindAccessors", Napi::Function::New(env, BindAccessors, "bindAccessors"));
  SetRaw(env, exports, "memcpyFromIo", MemcpyFromIo);
  SetRaw(env, exports, "memcpyToIo", MemcpyToIo);
  SetRaw(env, exports, "memsetIo", MemsetIo);
  SetRaw(env, exports, "readRep", ReadRep);
  SetRaw(env, exports, "writeRep", WriteRep);
  SetRaw(env, exports, "pollAtomic", PollAtomic);
  SetRaw(env, exports, "pollSleepInit", PollSleepInit);
  SetRaw(env, exports, "pollSleep", PollSleep);
  SetRaw(env, exports, "pollSleepCancel", PollSleepCancel);
  exports.Set("irqOpen", Napi::Function::New(env, IrqOpen, "irqOpen"));
  exports.Set("irqOpenEventfd", Napi::Function::New(env, IrqOpenEventfd, "irqOpenEventfd"));
  exports.Set("irqFd", Napi::Function::New(env, IrqFd, "irqFd"));
  exports.Set("irqWait", Napi::Function::New(env, IrqWait, "irqWait"));
  exports.Set("irqCancel", Napi::Function::New(env, IrqCancel, "irqCancel"));
  exports.Set("irqTryRead", Napi::Function::New(env, IrqTryRead, "irqTryRead"));
  exports.Set("irqSetTryRead", Napi::Function::New(env, IrqSetTryRead, "irqSetTryRead"));
  exports.Set("irqControl", Napi::Function::New(env, IrqControl, "irqControl"));
  exports.Set("irqSetIntxDisabled", Napi::Function::New(env, IrqSetIntxDisabled, "irqSetIntxDisabled"));
  exports.Set("irqClose", Napi::Function::New(env, IrqClose, "irqClose"));
  exports.Set("portIn", Napi::Function::New(env, PortIn, "portIn"));
  exports.Set("portOut", Napi::Function::New(env, PortOut, "portOut"));
  exports.Set("ofdLock", Napi::Function::New(env, OfdLock, "ofdLock"));
  exports.Set("ofdUnlock", Napi::Function::New(env, OfdUnlock, "ofdUnlock"));
  exports.Set("ofdConflict", Napi::Function::New(env, OfdConflict, "ofdConflict"));
  exports.Set("mb", Napi::Function::New(env, Mb, "mb"));
  exports.Set("rmb", Napi::Function::New(env, Rmb, "rmb"));
  exports.Set("wmb", Napi::Function::New(env, Wmb, "wmb"));
  InitVfio(env, exports);
  exports.Set("pageSize", Napi::Number::New(env, static_cast<double>(sysconf(_SC_PAGESIZE))));
  exports.Set("arch", Napi::String::New(env, ArchName()));
  // map() takes `intoOffset` and puts the fault word at byte 0 of `into` (the x86-64 Wasm window).
  exports.Set("windowFaultPage", Napi::Boolean::New(env, true));
  return exports;
}

}  // namespace mmio

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return mmio::Init(env, exports); }

NODE_API_MODULE(mmio, InitModule)
