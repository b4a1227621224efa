#include "vfio.h"

#include <errno.h>
#include <linux/vfio.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "region.h"
#include "js_throw.h"
#include "syscall_error.h"

namespace mmio {
namespace {

// Every failing ioctl becomes a syscall error whose message is the request's name; lib/linux/vfio-native.ts adds
// the path and the hint.
Napi::Error IoctlError(Napi::Env env, int err, const char* request) {
  return SyscallError(env, err, "ioctl", "", request);
}

// After a failed ioctl: its error, unless an argument check already left one pending (that one is the error:
// no second error may be made while one is pending).
Napi::Value ThrowIoctl(Napi::Env env, int err, const char* request) {
  if (env.IsExceptionPending()) return Napi::Value();
  return ThrowJs(IoctlError(env, err, request));
}

// The argument readers below leave a TypeError pending on a wrong type and return a harmless value; callers
// check env.IsExceptionPending() before they act on what they read.
int FdArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    Napi::TypeError::New(info.Env(), "a file descriptor (number) is required").ThrowAsJavaScriptException();
    return -1;  // the ioctl on it fails; the TypeError stays the pending one
  }
  return info[i].As<Napi::Number>().Int32Value();
}

uint32_t U32Arg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    Napi::TypeError::New(info.Env(), "a number is required").ThrowAsJavaScriptException();
    return 0;
  }
  return info[i].As<Napi::Number>().Uint32Value();
}

uint64_t U64Arg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsBigInt()) {
    Napi::TypeError::New(info.Env(), "a bigint is required").ThrowAsJavaScriptException();
    return 0;
  }
  bool lossless = false;
  const uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) Napi::RangeError::New(info.Env(), "a bigint in 0..2^64-1 is required").ThrowAsJavaScriptException();
  return v;
}

// A capability chain (struct vfio_info_cap_header: id, version, next) inside an info buffer of `size` bytes,
// starting at `first`. Walks at most 64 entries and never outside the buffer, whatever the kernel says.
template <typename Fn>
void WalkCaps(const std::vector<uint8_t>& buf, uint32_t first, Fn fn) {
  uint32_t at = first;
  for (int guard = 0; at != 0 && guard < 64; guard++) {
    if (at + sizeof(vfio_info_cap_header) > buf.size()) return;
    vfio_info_cap_header hdr;
    memcpy(&hdr, buf.data() + at, sizeof hdr);
    fn(hdr.id, hdr.version, at);
    if (hdr.next <= at) return;  // a chain only moves forward
    at = hdr.next;
  }
}

template <typename T>
bool ReadAt(const std::vector<uint8_t>& buf, size_t at, T* out) {
  if (at + sizeof(T) > buf.size()) return false;
  memcpy(out, buf.data() + at, sizeof(T));
  return true;
}

// Calls an info ioctl whose struct starts with argsz and may grow by a capability chain: once with the
// struct's own size, then again with the argsz the kernel asked for (capped at 64 KiB). On failure: an error
// pending in JS and an empty buffer.
template <typename T>
std::vector<uint8_t> InfoWithCaps(Napi::Env env, int fd, unsigned long request, const char* name, const T& initial) {
  if (env.IsExceptionPending()) return {};
  std::vector<uint8_t> buf(sizeof(T));
  memcpy(buf.data(), &initial, sizeof(T));
  reinterpret_cast<T*>(buf.data())->argsz = sizeof(T);
  if (ioctl(fd, request, buf.data()) != 0) {
    IoctlError(env, errno, name).ThrowAsJavaScriptException();
    return {};
  }
  const uint32_t want = reinterpret_cast<T*>(buf.data())->argsz;
  if (want > sizeof(T) && want <= 65536) {
    buf.assign(want, 0);
    memcpy(buf.data(), &initial, sizeof(T));
    reinterpret_cast<T*>(buf.data())->argsz = want;
    if (ioctl(fd, request, buf.data()) != 0) {
      IoctlError(env, errno, name).ThrowAsJavaScriptException();
      return {};
    }
  }
  return buf;
}

Napi::Value GetApiVersion(const Napi::CallbackInfo& info) {
  const int rc = ioctl(FdArg(info, 0), VFIO_GET_API_VERSION);
  if (rc < 0) return ThrowIoctl(info.Env(), errno, "VFIO_GET_API_VERSION");
  return Napi::Number::New(info.Env(), rc);
}

Napi::Value CheckExtension(const Napi::CallbackInfo& info) {
  const int rc = ioctl(FdArg(info, 0), VFIO_CHECK_EXTENSION, static_cast<unsigned long>(U32Arg(info, 1)));
  if (rc < 0) return ThrowIoctl(info.Env(), errno, "VFIO_CHECK_EXTENSION");
  return Napi::Number::New(info.Env(), rc);
}

Napi::Value GroupGetStatus(const Napi::CallbackInfo& info) {
  vfio_group_status status = {};
  status.argsz = sizeof status;
  if (ioctl(FdArg(info, 0), VFIO_GROUP_GET_STATUS, &status) != 0) {
    return ThrowIoctl(info.Env(), errno, "VFIO_GROUP_GET_STATUS");
  }
  return Napi::Number::New(info.Env(), status.flags);
}

Napi::Value GroupSetContainer(const Napi::CallbackInfo& info) {
  int container = FdArg(info, 1);
  if (info.Env().IsExceptionPending()) return Napi::Value();
  if (ioctl(FdArg(info, 0), VFIO_GROUP_SET_CONTAINER, &container) != 0) {
    return ThrowIoctl(info.Env(), errno, "VFIO_GROUP_SET_CONTAINER");
  }
  return info.Env().Undefined();
}

Napi::Value GroupUnsetContainer(const Napi::CallbackInfo& info) {
  if (ioctl(FdArg(info, 0), VFIO_GROUP_UNSET_CONTAINER) != 0) {
    return ThrowIoctl(info.Env(), errno, "VFIO_GROUP_UNSET_CONTAINER");
  }
  return info.Env().Undefined();
}

Napi::Value SetIommu(const Napi::CallbackInfo& info) {
  if (ioctl(FdArg(info, 0), VFIO_SET_IOMMU, static_cast<unsigned long>(U32Arg(info, 1))) != 0) {
    return ThrowIoctl(info.Env(), errno, "VFIO_SET_IOMMU");
  }
  return info.Env().Undefined();
}

Napi::Value IommuGetInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  vfio_iommu_type1_info initial = {};
  const std::vector<uint8_t> buf = InfoWithCaps(env, FdArg(info, 0), VFIO_IOMMU_GET_INFO, "VFIO_IOMMU_GET_INFO", initial);
  if (env.IsExceptionPending() || buf.size() < sizeof initial) return Napi::Value();
  vfio_iommu_type1_info head;
  memcpy(&head, buf.data(), sizeof head);
  Napi::Object out = Napi::Object::New(env);
  out.Set("flags", Napi::Number::New(env, head.flags));
  out.Set("pageSizes", Napi::BigInt::New(env, static_cast<uint64_t>(head.iova_pgsizes)));
  Napi::Array ranges = Napi::Array::New(env);
  int64_t dma_avail = -1;
  if (head.flags & VFIO_IOMMU_INFO_CAPS) {
    WalkCaps(buf, head.cap_offset, [&](uint16_t id, uint16_t, uint32_t at) {
      if (id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
        vfio_iommu_type1_info_cap_iova_range cap;
        if (!ReadAt(buf, at, &cap)) return;
        for (uint32_t i = 0; i < cap.nr_iovas && i < 1024; i++) {
          vfio_iova_range r;
          if (!ReadAt(buf, at + sizeof cap + i * sizeof r, &r)) return;
          Napi::Array pair = Napi::Array::New(env, 2);
          pair.Set(0u, Napi::BigInt::New(env, static_cast<uint64_t>(r.start)));
          pair.Set(1u, Napi::BigInt::New(env, static_cast<uint64_t>(r.end)));
          ranges.Set(ranges.Length(), pair);
        }
      } else if (id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
        vfio_iommu_type1_info_dma_avail cap;
        if (ReadAt(buf, at, &cap)) dma_avail = cap.avail;
      }
    });
  }
  out.Set("ranges", ranges);
  out.Set("dmaAvail", Napi::Number::New(env, static_cast<double>(dma_avail)));
  return out;
}

Napi::Value GroupGetDeviceFd(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[1].IsString()) return ThrowJs(Napi::TypeError::New(info.Env(), "a device name (string) is required"));
  const std::string name = info[1].As<Napi::String>().Utf8Value();
  const int fd = ioctl(FdArg(info, 0), VFIO_GROUP_GET_DEVICE_FD, name.c_str());
  if (fd < 0) return ThrowIoctl(info.Env(), errno, "VFIO_GROUP_GET_DEVICE_FD");
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value DeviceGetInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  vfio_device_info d = {};
  d.argsz = sizeof d;
  if (ioctl(FdArg(info, 0), VFIO_DEVICE_GET_INFO, &d) != 0) return ThrowIoctl(env, errno, "VFIO_DEVICE_GET_INFO");
  Napi::Object out = Napi::Object::New(env);
  out.Set("flags", Napi::Number::New(env, d.flags));
  out.Set("numRegions", Napi::Number::New(env, d.num_regions));
  out.Set("numIrqs", Napi::Number::New(env, d.num_irqs));
  return out;
}

Napi::Value DeviceGetRegionInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  vfio_region_info initial = {};
  initial.index = U32Arg(info, 1);
  if (info.Env().IsExceptionPending()) return Napi::Value();
  const std::vector<uint8_t> buf =
      InfoWithCaps(env, FdArg(info, 0), VFIO_DEVICE_GET_REGION_INFO, "VFIO_DEVICE_GET_REGION_INFO", initial);
  if (env.IsExceptionPending() || buf.size() < sizeof initial) return Napi::Value();
  vfio_region_info head;
  memcpy(&head, buf.data(), sizeof head);
  Napi::Object out = Napi::Object::New(env);
  out.Set("index", Napi::Number::New(env, head.index));
  out.Set("flags", Napi::Number::New(env, head.flags));
  out.Set("size", Napi::BigInt::New(env, static_cast<uint64_t>(head.size)));
  out.Set("offset", Napi::BigInt::New(env, static_cast<uint64_t>(head.offset)));
  Napi::Value sparse = env.Null();
  bool msix_mappable = false;
  if (head.flags & VFIO_REGION_INFO_FLAG_CAPS) {
    WalkCaps(buf, head.cap_offset, [&](uint16_t id, uint16_t, uint32_t at) {
      if (id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
        vfio_region_info_cap_sparse_mmap cap;
        if (!ReadAt(buf, at, &cap)) return;
        Napi::Array areas = Napi::Array::New(env);
        for (uint32_t i = 0; i < cap.nr_areas && i < 1024; i++) {
          vfio_region_sparse_mmap_area a;
          if (!ReadAt(buf, at + sizeof cap + i * sizeof a, &a)) break;
          Napi::Array pair = Napi::Array::New(env, 2);
          pair.Set(0u, Napi::BigInt::New(env, static_cast<uint64_t>(a.offset)));
          pair.Set(1u, Napi::BigInt::New(env, static_cast<uint64_t>(a.size)));
          areas.Set(areas.Length(), pair);
        }
        sparse = areas;
      } else if (id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE) {
        msix_mappable = true;
      }
    });
  }
  out.Set("sparse", sparse);
  out.Set("msixMappable", Napi::Boolean::New(env, msix_mappable));
  return out;
}

Napi::Value DeviceGetIrqInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  vfio_irq_info irq = {};
  irq.argsz = sizeof irq;
  irq.index = U32Arg(info, 1);
  if (info.Env().IsExceptionPending()) return Napi::Value();
  if (ioctl(FdArg(info, 0), VFIO_DEVICE_GET_IRQ_INFO, &irq) != 0) return ThrowIoctl(env, errno, "VFIO_DEVICE_GET_IRQ_INFO");
  Napi::Object out = Napi::Object::New(env);
  out.Set("flags", Napi::Number::New(env, irq.flags));
  out.Set("count", Napi::Number::New(env, irq.count));
  return out;
}

// setIrqs(fd, index, start, flags, data): data is an array of eventfds (DATA_EVENTFD; -1 unassigns a vector)
// or a count (DATA_NONE).
Napi::Value DeviceSetIrqs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = FdArg(info, 0);
  const uint32_t index = U32Arg(info, 1);
  const uint32_t start = U32Arg(info, 2);
  const uint32_t flags = U32Arg(info, 3);
  if (info.Env().IsExceptionPending()) return Napi::Value();
  std::vector<int32_t> fds;
  uint32_t count = 0;
  if (info[4].IsArray()) {
    Napi::Array a = info[4].As<Napi::Array>();
    if (a.Length() > 2048) return ThrowJs(Napi::RangeError::New(env, "too many vectors"));
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value v = a.Get(i);
      if (!v.IsNumber()) return ThrowJs(Napi::TypeError::New(env, "eventfds must be numbers"));
      fds.push_back(v.As<Napi::Number>().Int32Value());
    }
    count = static_cast<uint32_t>(fds.size());
  } else {
    count = U32Arg(info, 4);
  }
  std::vector<uint8_t> buf(sizeof(vfio_irq_set) + fds.size() * sizeof(int32_t));
  vfio_irq_set set = {};
  set.argsz = static_cast<uint32_t>(buf.size());
  set.flags = flags;
  set.index = index;
  set.start = start;
  set.count = count;
  memcpy(buf.data(), &set, sizeof set);
  if (!fds.empty()) memcpy(buf.data() + sizeof set, fds.data(), fds.size() * sizeof(int32_t));
  if (env.IsExceptionPending()) return Napi::Value();  // a bad argument: nothing is set
  if (ioctl(fd, VFIO_DEVICE_SET_IRQS, buf.data()) != 0) return ThrowIoctl(env, errno, "VFIO_DEVICE_SET_IRQS");
  return env.Undefined();
}

Napi::Value DeviceReset(const Napi::CallbackInfo& info) {
  if (ioctl(FdArg(info, 0), VFIO_DEVICE_RESET) != 0) return ThrowIoctl(info.Env(), errno, "VFIO_DEVICE_RESET");
  return info.Env().Undefined();
}

// mapDma(containerFd, handle, iova, flags): maps the whole DMA buffer (a Region made by dmaAlloc) at iova.
Napi::Value MapDma(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = FdArg(info, 0);
  if (info.Env().IsExceptionPending()) return Napi::Value();
  if (info.Length() < 2 || !info[1].IsExternal()) {
    return ThrowJs(Napi::TypeError::New(env, "a DMA buffer handle is required"));
  }
  Region* r = info[1].As<Napi::External<Region>>().Data();
  if (r == nullptr || !r->mapped) return ThrowJs(SyscallError(env, EBADF, "ioctl", "", "VFIO_IOMMU_MAP_DMA"));
  vfio_iommu_type1_dma_map map = {};
  map.argsz = sizeof map;
  map.flags = U32Arg(info, 3);
  map.vaddr = reinterpret_cast<uintptr_t>(r->map_base);
  map.iova = U64Arg(info, 2);
  map.size = r->map_length;
  if (env.IsExceptionPending()) return Napi::Value();  // a bad argument: nothing is mapped
  if (ioctl(fd, VFIO_IOMMU_MAP_DMA, &map) != 0) return ThrowIoctl(env, errno, "VFIO_IOMMU_MAP_DMA");
  return env.Undefined();
}

// unmapDma(containerFd, iova, size) -> bytes unmapped (bigint).
Napi::Value UnmapDma(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  vfio_iommu_type1_dma_unmap unmap = {};
  unmap.argsz = sizeof unmap;
  unmap.iova = U64Arg(info, 1);
  unmap.size = U64Arg(info, 2);
  if (env.IsExceptionPending()) return Napi::Value();  // a bad argument: nothing is unmapped
  if (ioctl(FdArg(info, 0), VFIO_IOMMU_UNMAP_DMA, &unmap) != 0) return ThrowIoctl(env, errno, "VFIO_IOMMU_UNMAP_DMA");
  return Napi::BigInt::New(env, static_cast<uint64_t>(unmap.size));
}

void BufferFinalizer(napi_env, void*, void* hint) { Release(static_cast<Region*>(hint)); }

// dmaAlloc(size, options?: { hugetlb?: boolean, lock?: boolean }) -> { handle, buffer, address }: page-aligned
// anonymous memory, populated and excluded from fork() (MADV_DONTFORK: a child's copy-on-write would otherwise
// give the parent new pages behind the device's back). hugetlb: 2 MiB huge pages (physically contiguous each);
// lock: mlock (for DMA without an IOMMU, where nothing else pins the pages). address: the virtual address.
Napi::Value DmaAlloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowJs(Napi::TypeError::New(env, "dmaAlloc(size: number, options?)"));
  const double size_arg = info[0].As<Napi::Number>().DoubleValue();
  if (!(size_arg > 0) || size_arg > static_cast<double>(SIZE_MAX / 4)) {
    return ThrowJs(Napi::RangeError::New(env, "size out of range"));
  }
  bool hugetlb = false;
  bool lock = false;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object o = info[1].As<Napi::Object>();
    hugetlb = o.Get("hugetlb").ToBoolean();
    lock = o.Get("lock").ToBoolean();
  }
  const size_t size = static_cast<size_t>(size_arg);
  const size_t page = hugetlb ? (2u << 20) : static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t length = (size + page - 1) / page * page;
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | (hugetlb ? MAP_HUGETLB : 0);
  void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (base == MAP_FAILED) return ThrowJs(SyscallError(env, errno, "mmap", "", hugetlb ? "mmap of huge pages failed" : "mmap of DMA memory failed"));
  if (madvise(base, length, MADV_DONTFORK) != 0 || (lock && mlock(base, length) != 0)) {
    const int err = errno;
    munmap(base, length);
    return ThrowJs(SyscallError(env, err, lock ? "mlock" : "madvise", "", "pinning DMA memory failed"));
  }
  NoteMapped();  // counted as every mapping is: Unmap uncounts it
  Region* r = new Region();
  r->map_base = static_cast<uint8_t*>(base);
  r->map_length = length;
  r->ptr = r->map_base;
  r->size = length;
  r->mapped = true;
  r->env = env;
  GetEnvState(env)->live.insert(r);
  AddRef(r);
  Napi::External<Region> handle = Napi::External<Region>::New(env, r, [](Napi::Env, Region* region) { Release(region); });
  napi_value buffer;
  AddRef(r);
  if (napi_create_external_arraybuffer(env, r->ptr, length, BufferFinalizer, r, &buffer) != napi_ok) {
    Release(r);
    Unmap(r, nullptr);
    return ThrowJs(Napi::Error::New(env, "could not create an ArrayBuffer over the DMA memory"));
  }
  napi_create_reference(env, buffer, 0, &r->buffer_ref);
  Napi::Object out = Napi::Object::New(env);
  out.Set("handle", handle);
  out.Set("buffer", Napi::Value(env, buffer));
  out.Set("address", Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(base))));
  return out;
}

}  // namespace

void InitVfio(Napi::Env env, Napi::Object exports) {
  exports.Set("vfioGetApiVersion", Napi::Function::New(env, GetApiVersion, "vfioGetApiVersion"));
  exports.Set("vfioCheckExtension", Napi::Function::New(env, CheckExtension, "vfioCheckExtension"));
  exports.Set("vfioGroupGetStatus", Napi::Function::New(env, GroupGetStatus, "vfioGroupGetStatus"));
  exports.Set("vfioGroupSetContainer", Napi::Function::New(env, GroupSetContainer, "vfioGroupSetContainer"));
  exports.Set("vfioGroupUnsetContainer", Napi::Function::New(env, GroupUnsetContainer, "vfioGroupUnsetContainer"));
  exports.Set("vfioSetIommu", Napi::Function::New(env, SetIommu, "vfioSetIommu"));
  exports.Set("vfioIommuGetInfo", Napi::Function::New(env, IommuGetInfo, "vfioIommuGetInfo"));
  exports.Set("vfioGroupGetDeviceFd", Napi::Function::New(env, GroupGetDeviceFd, "vfioGroupGetDeviceFd"));
  exports.Set("vfioDeviceGetInfo", Napi::Function::New(env, DeviceGetInfo, "vfioDeviceGetInfo"));
  exports.Set("vfioDeviceGetRegionInfo", Napi::Function::New(env, DeviceGetRegionInfo, "vfioDeviceGetRegionInfo"));
  exports.Set("vfioDeviceGetIrqInfo", Napi::Function::New(env, DeviceGetIrqInfo, "vfioDeviceGetIrqInfo"));
  exports.Set("vfioDeviceSetIrqs", Napi::Function::New(env, DeviceSetIrqs, "vfioDeviceSetIrqs"));
  exports.Set("vfioDeviceReset", Napi::Function::New(env, DeviceReset, "vfioDeviceReset"));
  exports.Set("vfioMapDma", Napi::Function::New(env, MapDma, "vfioMapDma"));
  exports.Set("vfioUnmapDma", Napi::Function::New(env, UnmapDma, "vfioUnmapDma"));
  exports.Set("dmaAlloc", Napi::Function::New(env, DmaAlloc, "dmaAlloc"));
}

}  // namespace mmio
