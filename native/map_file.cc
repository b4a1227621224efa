#include "map_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "region.h"
#include "js_throw.h"
#include "syscall_error.h"

namespace mmio {
namespace {

void BufferFinalizer(napi_env, void*, void* hint) {
  Region* r = static_cast<Region*>(hint);
  r->buffer_finalized = true;
  Release(r);
}

}  // namespace

// Map areas left to the runtime: V8 and libc map memory too, and when the process reaches vm.max_map_count
// their next mmap fails and V8 aborts ("Zone Allocation failed"). Mappings beyond the budget get ENOMEM.
size_t MapBudget() {
  static const size_t budget = [] {
    size_t max_count = 65530;  // the kernel's default
    if (FILE* f = fopen("/proc/sys/vm/max_map_count", "re")) {
      unsigned long v = 0;
      if (fscanf(f, "%lu", &v) == 1 && v > 0) max_count = v;
      fclose(f);
    }
    const size_t reserve = std::max<size_t>(4096, max_count / 4);
    return max_count > reserve ? max_count - reserve : 0;
  }();
  return budget;
}

// Where to map: anywhere (into == nullptr), or MAP_FIXED over a WebAssembly.Memory's buffer (the x86-64 Wasm
// window, lib/linux/wasm-window.ts), which `value` holds.
struct MapTarget {
  uint8_t* into = nullptr;
  size_t length = 0;
  Napi::Value value;
  // With `intoOffset` (a whole number of pages, the first page(s) of the buffer then left to V8): the fault word
  // lives at the buffer's byte 0, where Wasm code can read it (the x86-64 window's functions trap on it).
  FaultWord* fault = nullptr;
};

// Maps [offset, offset + size) of the open descriptor fd (closed here in every case when close_fd) and builds
// the { handle, buffer, fault, pageSize } object. `path` names the file in errors.
Napi::Value MapDescriptor(Napi::Env env, int fd, bool close_fd, const std::string& path, uint64_t offset, size_t size,
                          bool read_only, const MapTarget& target);

Napi::Value Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsBigInt() || !info[2].IsNumber() || !info[3].IsObject()) {
    return ThrowJs(Napi::TypeError::New(env, "map(path, offset: bigint, size: number, options)"));
  }
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  bool lossless = false;
  const uint64_t offset = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  const double size_arg = info[2].As<Napi::Number>().DoubleValue();
  Napi::Object options = info[3].As<Napi::Object>();
  const bool sync = options.Get("sync").ToBoolean();
  const bool read_only = options.Get("readOnly").ToBoolean();
  // `into`: the mapping must start on a page (no sub-page delta) and fit the buffer.
  MapTarget target;
  target.value = options.Get("into");
  if (target.value.IsArrayBuffer()) {
    Napi::ArrayBuffer ab = target.value.As<Napi::ArrayBuffer>();
    target.into = static_cast<uint8_t*>(ab.Data());
    target.length = ab.ByteLength();
    const Napi::Value at = options.Get("intoOffset");
    if (at.IsNumber()) {
      const double into_offset = at.As<Napi::Number>().DoubleValue();
      const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      if (!(into_offset >= page) || into_offset >= static_cast<double>(target.length) ||
          into_offset != static_cast<double>(static_cast<size_t>(into_offset / page)) * page) {
        return ThrowJs(Napi::RangeError::New(env, "intoOffset must be a whole number of pages inside the buffer"));
      }
      target.fault = reinterpret_cast<FaultWord*>(target.into);
      target.into += static_cast<size_t>(into_offset);
      target.length -= static_cast<size_t>(into_offset);
    }
  }
  if (!lossless || !(size_arg > 0) || size_arg > static_cast<double>(SIZE_MAX / 2)) {
    return ThrowJs(Napi::RangeError::New(env, "offset or size out of range"));
  }
  // O_NONBLOCK: opening a FIFO (or a device that waits for a peer) returns at once instead of blocking the
  // thread; what cannot be mapped is refused below, and the flag is cleared again for the mapping's sake.
  const int flags = (read_only ? O_RDONLY : O_RDWR) | (sync ? O_SYNC : 0) | O_CLOEXEC | O_NONBLOCK;
  const int fd = open(path.c_str(), flags);
  if (fd < 0) return ThrowJs(SyscallError(env, errno, "open", path));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int stat_errno = errno;
    close(fd);
    return ThrowJs(SyscallError(env, stat_errno, "fstat", path));
  }
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
    close(fd);
    return ThrowJs(SyscallError(env, ENODEV, "mmap", path, "not a regular file or device node"));
  }
  const int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return MapDescriptor(env, fd, true, path, offset, static_cast<size_t>(size_arg), read_only, target);
}

// mapFd(fd, path, offset: bigint, size, { readOnly }): a region of a descriptor the caller keeps open (a VFIO
// device's BAR at its region offset).
Napi::Value MapFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsBigInt() || !info[3].IsNumber() ||
      !info[4].IsObject()) {
    return ThrowJs(Napi::TypeError::New(env, "mapFd(fd, path, offset: bigint, size: number, options)"));
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const std::string path = info[1].As<Napi::String>().Utf8Value();
  bool lossless = false;
  const uint64_t offset = info[2].As<Napi::BigInt>().Uint64Value(&lossless);
  const double size_arg = info[3].As<Napi::Number>().DoubleValue();
  const bool read_only = info[4].As<Napi::Object>().Get("readOnly").ToBoolean();
  if (!lossless || !(size_arg > 0) || size_arg > static_cast<double>(SIZE_MAX / 2)) {
    return ThrowJs(Napi::RangeError::New(env, "offset or size out of range"));
  }
  return MapDescriptor(env, fd, false, path, offset, static_cast<size_t>(size_arg), read_only, MapTarget());
}

Napi::Value MapDescriptor(Napi::Env env, int fd, bool close_fd, const std::string& path, uint64_t offset, size_t size,
                          bool read_only, const MapTarget& target) {
  uint8_t* const into = target.into;
  const auto fail = [&](const Napi::Error& e) {
    if (close_fd) close(fd);
    return ThrowJs(e);
  };
  if (LiveMappings() >= MapBudget()) {
    return fail(SyscallError(env, ENOMEM, "mmap", path,
                             "too many live mappings (" + std::to_string(LiveMappings()) +
                                 "): the rest of vm.max_map_count is kept for the runtime; iounmap some first"));
  }
  // The fault word lives in a V8-owned ArrayBuffer (its memory never moves) that the region keeps alive: its
  // own, or the window's first page (`intoOffset`), a Wasm memory that is never grown.
  void* fault_data = target.fault;
  napi_value fault_buffer = target.value;
  if (fault_data == nullptr && napi_create_arraybuffer(env, sizeof(FaultWord), &fault_data, &fault_buffer) != napi_ok) {
    return fail(Napi::Error::New(env, "could not allocate the fault word"));
  }

  const long page = sysconf(_SC_PAGESIZE);
  const uint64_t delta = offset % static_cast<uint64_t>(page);
  const uint64_t map_offset = offset - delta;
  const size_t map_length = ((delta + size + page - 1) / page) * page;

  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      (offset > static_cast<uint64_t>(st.st_size) || size > static_cast<uint64_t>(st.st_size) - offset)) {
    // Accessing a page past the end of a regular file raises SIGBUS: refuse the range up front.
    return fail(SyscallError(env, ENXIO, "mmap", path,
                             "range ends beyond the end of the file (" + std::to_string(st.st_size) + " bytes)"));
  }

  const int prot = PROT_READ | (read_only ? 0 : PROT_WRITE);
  if (into != nullptr && (delta != 0 || map_length > target.length || (reinterpret_cast<uintptr_t>(into) % page) != 0)) {
    return fail(Napi::RangeError::New(env, "the mapping does not fit the Wasm window"));
  }
  void* base = mmap(into, map_length, prot, MAP_SHARED | (into != nullptr ? MAP_FIXED : 0), fd, static_cast<off_t>(map_offset));
  const int mmap_errno = errno;
  if (close_fd) close(fd);
  if (base == MAP_FAILED) {
    // A failed MAP_FIXED may have unmapped the range already: give V8 its pages back.
    if (into != nullptr) RestoreWindow(into, map_length);
    return ThrowJs(SyscallError(env, mmap_errno, "mmap", path));
  }

  NoteMapped();
  Region* r = new Region();
  r->map_base = static_cast<uint8_t*>(base);
  r->map_length = map_length;
  r->ptr = r->map_base + delta;
  r->size = size;
  r->mapped = true;
  r->writable = !read_only;
  r->env = env;
  r->in_window = into != nullptr;
  if (r->in_window) napi_create_reference(env, target.value, 1, &r->window_ref);  // the memory outlives the mapping
  GetEnvState(env)->live.insert(r);

  // The handle holds one reference; the ArrayBuffer and each accessor function hold their own.
  AddRef(r);
  Napi::External<Region> handle = Napi::External<Region>::New(env, r, [](Napi::Env, Region* region) {
    Release(region);
  });

  napi_value buffer;
  AddRef(r);
  if (napi_create_external_arraybuffer(env, r->ptr, size, BufferFinalizer, r, &buffer) != napi_ok) {
    // Node runs the finalizer itself when it refuses the buffer (a size over buffer.constants.MAX_LENGTH):
    // drop the buffer's reference only if it has not, or the Region would be freed twice.
    if (!r->buffer_finalized) Release(r);
    Unmap(r, nullptr);
    // The pending exception (e.g. a size this runtime cannot hold in one ArrayBuffer) is the error.
    return Napi::Value();
  }
  napi_create_reference(env, buffer, 0, &r->buffer_ref);

  napi_create_reference(env, fault_buffer, 1, &r->fault_ref);
  r->fault = static_cast<FaultWord*>(fault_data);
  r->fault->faulted = 0;
  if (InstallFaultHandler()) r->fault_slot = WatchRange(r->ptr, r->size, r->fault);

  Napi::Object result = Napi::Object::New(env);
  result.Set("handle", handle);
  result.Set("buffer", Napi::Value(env, buffer));
  result.Set("fault", Napi::Value(env, fault_buffer));
  result.Set("pageSize", Napi::Number::New(env, static_cast<double>(page)));
  return result;
}

Napi::Value UnmapJs(const Napi::CallbackInfo& info) {
  Region* r = info[0].As<Napi::External<Region>>().Data();
  Unmap(r, info.Env());
  return info.Env().Undefined();
}

}  // namespace mmio
