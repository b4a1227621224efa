// A mapped range of a device or regular file, and its lifetime.
//
// A Region is shared by the handle JS holds, the external ArrayBuffer over it and every bound accessor
// function; each holds one reference and drops it in its finalizer, so the struct outlives all of them.
// The memory itself is unmapped by iounmap (after detaching the ArrayBuffer), when the last reference goes,
// or when the environment (main thread or worker) is torn down, whichever comes first.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <set>

#include "fault_guard.h"

namespace mmio {

struct Region {
  uint8_t* map_base = nullptr;  // page-aligned start returned by mmap
  size_t map_length = 0;        // bytes mapped, a whole number of pages
  uint8_t* ptr = nullptr;       // map_base + the sub-page delta: offset 0 of the region
  size_t size = 0;              // bytes the caller asked for
  bool mapped = false;
  bool writable = true;
  int refs = 0;
  napi_env env = nullptr;
  napi_ref buffer_ref = nullptr;  // weak reference to the external ArrayBuffer, to detach it on unmap
  FaultWord* fault = nullptr;     // where the bus-fault handler reports; inside the ArrayBuffer below
  napi_ref fault_ref = nullptr;   // strong reference to the ArrayBuffer holding *fault
  int fault_slot = -1;            // the fault handler's slot watching this mapping, -1 if none
  bool in_window = false;         // mapped MAP_FIXED over a WebAssembly.Memory's pages (lib/linux/wasm-window.ts)
  napi_ref window_ref = nullptr;  // strong reference to that memory's buffer: V8 must not free the pages first
  bool buffer_finalized = false;  // the ArrayBuffer's finalizer has run (it has dropped its reference)

  // True when [offset, offset + width) lies inside the mapping and the address is aligned to width.
  bool Fits(uint64_t offset, size_t width) const {
    return mapped && offset <= size && width <= size - offset &&
           ((reinterpret_cast<uintptr_t>(ptr) + offset) & (width - 1)) == 0;
  }
};

// Per-environment bookkeeping: the regions still mapped, unmapped when the environment goes away.
struct PollTimer;  // native/poll_timer.cc

struct EnvState {
  std::set<Region*> live;
  PollTimer* poll_timer = nullptr;  // the readX_poll_timeout sleeps' timerfd, made by pollSleepInit
};

EnvState* GetEnvState(napi_env env);
void AddRef(Region* r);
void Release(Region* r);  // drops one reference; unmaps and frees at zero
// Detaches the ArrayBuffer (when env is given and it is still alive) and munmaps. Idempotent.
void Unmap(Region* r, napi_env env);
// Put anonymous read-write pages over [base, base + length) of a Wasm window, as V8 had them: the reservation
// stays V8's, with no hole it could reuse and no device behind it.
void RestoreWindow(void* base, size_t length);
// Mappings made by this process (every environment) and not yet unmapped; NoteMapped counts one more.
size_t LiveMappings();
void NoteMapped();
// A napi finalizer that releases one reference to the Region passed as data.
void ReleaseFinalizer(napi_env env, void* data, void* hint);

}  // namespace mmio
