#include "region.h"

#include <sys/mman.h>

#include <atomic>

namespace mmio {

namespace {
std::atomic<size_t> live_mappings{0};
}  // namespace

size_t LiveMappings() { return live_mappings.load(std::memory_order_relaxed); }
void NoteMapped() { live_mappings.fetch_add(1, std::memory_order_relaxed); }

void AddRef(Region* r) { r->refs++; }

void RestoreWindow(void* base, size_t length) {
  mmap(base, length, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

void Unmap(Region* r, napi_env env) {
  if (!r->mapped) return;
  r->mapped = false;
  if (env != nullptr && r->buffer_ref != nullptr) {
    napi_value buffer;
    if (napi_get_reference_value(env, r->buffer_ref, &buffer) == napi_ok && buffer != nullptr) {
      // Typed arrays over a detached buffer have length 0: any later access throws instead of touching
      // unmapped memory.
      napi_detach_arraybuffer(env, buffer);
    }
  }
  UnwatchRange(r->fault_slot);  // before munmap: the address range may be reused at once
  r->fault_slot = -1;
  if (r->in_window) {
    RestoreWindow(r->map_base, r->map_length);
  } else {
    munmap(r->map_base, r->map_length);
  }
  live_mappings.fetch_sub(1, std::memory_order_relaxed);
  r->map_base = nullptr;
  r->ptr = nullptr;
  if (r->env != nullptr) {
    EnvState* state = GetEnvState(r->env);
    if (state != nullptr) state->live.erase(r);
  }
}

void Release(Region* r) {
  if (--r->refs > 0) return;
  // Reached only from finalizers: JS can no longer see the buffer, so there is nothing to detach.
  Unmap(r, nullptr);
  if (r->buffer_ref != nullptr && r->env != nullptr) napi_delete_reference(r->env, r->buffer_ref);
  if (r->fault_ref != nullptr && r->env != nullptr) napi_delete_reference(r->env, r->fault_ref);
  // Only now may V8 free the Wasm memory: its pages are anonymous again.
  if (r->window_ref != nullptr && r->env != nullptr) napi_delete_reference(r->env, r->window_ref);
  delete r;
}

void ReleaseFinalizer(napi_env, void* data, void*) { Release(static_cast<Region*>(data)); }

}  // namespace mmio
