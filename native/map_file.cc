#include "map_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "region.h"
#include "syscall_error.h"

namespace mmio {
namespace {

void BufferFinalizer(napi_env, void*, void* hint) { Release(static_cast<Region*>(hint)); }

}  // namespace

// Maps [offset, offset + size) of the open descriptor fd (closed here in every case when close_fd) and builds
// the { handle, buffer, fault, pageSize } object. `path` names the file in errors.
Napi::Value MapDescriptor(Napi::Env env, int fd, bool close_fd, const std::string& path, uint64_t offset, size_t size,
                          bool read_only);

Napi::Value Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  bool lossless = false;
  const uint64_t offset = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  const double size_arg = info[2].As<Napi::Number>().DoubleValue();
  Napi::Object options = info[3].As<Napi::Object>();
  const bool sync = options.Get("sync").ToBoolean();
  const bool read_only = options.Get("readOnly").ToBoolean();
  if (!lossless || !(size_arg > 0) || size_arg > static_cast<double>(SIZE_MAX / 2)) {
    Napi::RangeError::New(env, "offset or size out of range").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t size = static_cast<size_t>(size_arg);
  const int flags = (read_only ? O_RDONLY : O_RDWR) | (sync ? O_SYNC : 0) | O_CLOEXEC;
  const int fd = open(path.c_str(), flags);
  if (fd < 0) throw SyscallError(env, errno, "open", path);
  return MapDescriptor(env, fd, true, path, offset, size, read_only);
}

Napi::Value MapFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const std::string path = info[1].As<Napi::String>().Utf8Value();
  bool lossless = false;
  const uint64_t offset = info[2].As<Napi::BigInt>().Uint64Value(&lossless);
  const double size_arg = info[3].As<Napi::Number>().DoubleValue();
  const bool read_only = info[4].As<Napi::Object>().Get("readOnly").ToBoolean();
  if (!lossless || !(size_arg > 0) || size_arg > static_cast<double>(SIZE_MAX / 2)) {
    Napi::RangeError::New(env, "offset or size out of range").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return MapDescriptor(env, fd, false, path, offset, static_cast<size_t>(size_arg), read_only);
}

Napi::Value MapDescriptor(Napi::Env env, int fd, bool close_fd, const std::string& path, uint64_t offset, size_t size,
                          bool read_only) {

  // Made before anything is opened, so a failure here leaves nothing behind. The fault word lives in a V8-owned ArrayBuffer (its memory never moves) that the region keeps alive.
  void* fault_data = nullptr;
  napi_value fault_buffer;
  if (napi_create_arraybuffer(env, sizeof(FaultWord), &fault_data, &fault_buffer) != napi_ok) {
    if (close_fd) close(fd);
    throw Napi::Error::New(env, "could not allocate the fault word");
  }

  const long page = sysconf(_SC_PAGESIZE);
  const uint64_t delta = offset % static_cast<uint64_t>(page);
  const uint64_t map_offset = offset - delta;
  const size_t map_length = ((delta + size + page - 1) / page) * page;

  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      (offset > static_cast<uint64_t>(st.st_size) || size > static_cast<uint64_t>(st.st_size) - offset)) {
    // Accessing a page past the end of a regular file raises SIGBUS: refuse the range up front.
    if (close_fd) close(fd);
    throw SyscallError(env, ENXIO, "mmap", path,
                       "range ends beyond the end of the file (" + std::to_string(st.st_size) + " bytes)");
  }

  const int prot = PROT_READ | (read_only ? 0 : PROT_WRITE);
  void* base = mmap(nullptr, map_length, prot, MAP_SHARED, fd, static_cast<off_t>(map_offset));
  const int mmap_errno = errno;
  if (close_fd) close(fd);
  if (base == MAP_FAILED) throw SyscallError(env, mmap_errno, "mmap", path);

  Region* r = new Region();
  r->map_base = static_cast<uint8_t*>(base);
  r->map_length = map_length;
  r->ptr = r->map_base + delta;
  r->size = size;
  r->mapped = true;
  r->writable = !read_only;
  r->env = env;
  GetEnvState(env)->live.insert(r);

  // The handle holds one reference; the ArrayBuffer and each accessor function hold their own.
  AddRef(r);
  Napi::External<Region> handle = Napi::External<Region>::New(env, r, [](Napi::Env, Region* region) {
    Release(region);
  });

  napi_value buffer;
  AddRef(r);
  if (napi_create_external_arraybuffer(env, r->ptr, size, BufferFinalizer, r, &buffer) != napi_ok) {
    Release(r);
    Unmap(r, nullptr);
    throw Napi::Error::New(env, "could not create an ArrayBuffer over the mapping");
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
