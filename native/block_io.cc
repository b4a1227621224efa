#include "block_io.h"

#include <cstring>

#include "io_access.h"
#include "napi_args.h"
#include "region.h"

namespace mmio {
namespace {

// These functions use the C N-API directly, not node-addon-api's wrappers: a 1 KiB block moves in about
// 40 ns, and the wrappers' CallbackInfo, typed-array objects and exception plumbing cost as much again.
// lib/native-region.ts has checked every argument; the checks here (and napi_args.h) are the last line of
// defence, so no call can touch memory outside the mapping or the buffer.

napi_value Throw(napi_env env, const char* code, const char* message) {
  napi_throw_range_error(env, code, message);
  return nullptr;
}

// A block call's arguments, read and checked: (handle, offset, [width,] view, count) or, for memset,
// (handle, offset, byte, count) with no view.
struct BlockArgs {
  Region* region = nullptr;
  uint64_t offset = 0;
  uint64_t count = 0;
  uint32_t number = 0;      // memset's byte, or the _rep width
  void* data = nullptr;     // the view's first byte
  size_t elements = 0;      // the view's length in elements
  size_t element_size = 1;  // bytes per element of the view
};

enum class Shape { kView, kWidthView, kByte };

// Reads argv into *a; returns false after throwing. `write`: the call stores to the device.
bool ReadArgs(napi_env env, napi_callback_info info, Shape shape, bool write, BlockArgs* a) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return false;
  const size_t want = shape == Shape::kWidthView ? 5 : 4;
  void* external = nullptr;
  if (argc < want || napi_get_value_external(env, argv[0], &external) != napi_ok ||
      !GetIndex(env, argv[1], &a->offset) || !GetIndex(env, argv[want - 1], &a->count)) {
    Throw(env, "ERR_INVALID_ARG_TYPE", "block call: bad arguments");
    return false;
  }
  a->region = static_cast<Region*>(external);
  if (shape != Shape::kView && napi_get_value_uint32(env, argv[2], &a->number) != napi_ok) {
    Throw(env, "ERR_INVALID_ARG_TYPE", "block call: width or byte must be a number");
    return false;
  }
  if (shape != Shape::kByte) {
    napi_typedarray_type type;
    napi_value buffer;
    size_t byte_offset;
    if (napi_get_typedarray_info(env, argv[shape == Shape::kView ? 2 : 3], &type, &a->elements, &a->data, &buffer,
                                 &byte_offset) != napi_ok) {
      Throw(env, "ERR_INVALID_ARG_TYPE", "block call: the buffer must be a typed array");
      return false;
    }
    a->element_size = type == napi_uint16_array ? 2 : type == napi_uint32_array ? 4 : 1;
    const bool fits = shape == Shape::kView ? type == napi_uint8_array
                                            : (type == napi_uint8_array || type == napi_uint16_array ||
                                               type == napi_uint32_array) && a->element_size == a->number;
    if (!fits || a->count > a->elements) {
      Throw(env, "ERR_OUT_OF_RANGE", "block call: the buffer's element size or length does not fit");
      return false;
    }
  }
  Region* r = a->region;
  const uint64_t device_bytes = shape == Shape::kWidthView ? a->number : a->count;
  const size_t align = shape == Shape::kWidthView ? a->number : 1;
  if (shape == Shape::kWidthView && a->number != 1 && a->number != 2 && a->number != 4) {
    Throw(env, "ERR_OUT_OF_RANGE", "block call: width must be 1, 2 or 4");
    return false;
  }
  if (!r->mapped) {
    Throw(env, "ERR_IOMEM_UNMAPPED", "region is unmapped");
    return false;
  }
  if (a->offset > r->size || device_bytes > r->size - a->offset ||
      ((reinterpret_cast<uintptr_t>(r->ptr) + a->offset) & (align - 1)) != 0) {
    Throw(env, "ERR_OUT_OF_RANGE", "block range out of the region or unaligned");
    return false;
  }
  // Block writes to a read-only mapping would fault (SIGSEGV, reported as EFAULT and poisoning the region):
  // refuse them as the single-register writes do.
  if (write && !r->writable) {
    napi_throw_error(env, "ERR_IOMEM_READONLY", "region was mapped read-only");
    return false;
  }
  return true;
}

// The widest access of at most kMaxBlockWidth bytes that is aligned at address a and fits in n bytes.
size_t BlockWidth(uintptr_t a, size_t n) {
  for (size_t w = kMaxBlockWidth; w > 1; w /= 2) {
    if ((a & (w - 1)) == 0 && n >= w) return w;
  }
  return 1;
}

// Walks [dev, dev + count) in the accesses memcpy_fromio/toio/memset_io make: the widest naturally aligned
// access that fits at each position (the same sequence lib/sim uses). Once the address is aligned to the widest
// width, every access is the widest until the tail, so that stretch runs as a plain loop with no width choice.
// step(width, done) makes one access of `width` bytes at dev + done.
template <typename Step>
void ForEachAccess(uintptr_t dev, size_t count, Step step) {
  size_t done = 0;
  while (done < count && ((dev + done) & (kMaxBlockWidth - 1)) != 0) {
    const size_t w = BlockWidth(dev + done, count - done);
    step(w, done);
    done += w;
  }
  for (; count - done >= kMaxBlockWidth; done += kMaxBlockWidth) step(kMaxBlockWidth, done);
  while (done < count) {
    const size_t w = BlockWidth(dev + done, count - done);
    step(w, done);
    done += w;
  }
}

template <typename T> void ReadRepAs(const volatile void* addr, void* out, size_t count) {
  T* dst = static_cast<T*>(out);
  for (size_t i = 0; i < count; i++) dst[i] = raw_read<T>(addr);
}

template <typename T> void WriteRepAs(volatile void* addr, const void* in, size_t count) {
  const T* src = static_cast<const T*>(in);
  for (size_t i = 0; i < count; i++) raw_write(addr, src[i]);
}

}  // namespace

napi_value MemcpyFromIo(napi_env env, napi_callback_info info) {
  BlockArgs a;
  if (!ReadArgs(env, info, Shape::kView, false, &a)) return nullptr;
  uint8_t* out = static_cast<uint8_t*>(a.data);
  const uint8_t* src = a.region->ptr + a.offset;
  ForEachAccess(reinterpret_cast<uintptr_t>(src), a.count, [&](size_t w, size_t done) {
    switch (w) {
      case 8: { uint64_t v = raw_read64(src + done); std::memcpy(out + done, &v, 8); break; }
      case 4: { uint32_t v = raw_read32(src + done); std::memcpy(out + done, &v, 4); break; }
      case 2: { uint16_t v = raw_read16(src + done); std::memcpy(out + done, &v, 2); break; }
      default: out[done] = raw_read8(src + done);
    }
  });
  return nullptr;
}

napi_value MemcpyToIo(napi_env env, napi_callback_info info) {
  BlockArgs a;
  if (!ReadArgs(env, info, Shape::kView, true, &a)) return nullptr;
  const uint8_t* in = static_cast<const uint8_t*>(a.data);
  uint8_t* dst = a.region->ptr + a.offset;
  ForEachAccess(reinterpret_cast<uintptr_t>(dst), a.count, [&](size_t w, size_t done) {
    switch (w) {
      case 8: { uint64_t v; std::memcpy(&v, in + done, 8); raw_write64(dst + done, v); break; }
      case 4: { uint32_t v; std::memcpy(&v, in + done, 4); raw_write32(dst + done, v); break; }
      case 2: { uint16_t v; std::memcpy(&v, in + done, 2); raw_write16(dst + done, v); break; }
      default: raw_write8(dst + done, in[done]);
    }
  });
  return nullptr;
}

napi_value MemsetIo(napi_env env, napi_callback_info info) {
  BlockArgs a;
  if (!ReadArgs(env, info, Shape::kByte, true, &a)) return nullptr;
  const uint8_t byte = static_cast<uint8_t>(a.number);
  uint8_t* dst = a.region->ptr + a.offset;
  const uint64_t pattern = 0x0101010101010101ULL * byte;
  ForEachAccess(reinterpret_cast<uintptr_t>(dst), a.count, [&](size_t w, size_t done) {
    switch (w) {
      case 8: raw_write64(dst + done, pattern); break;
      case 4: raw_write32(dst + done, static_cast<uint32_t>(pattern)); break;
      case 2: raw_write16(dst + done, static_cast<uint16_t>(pattern)); break;
      default: raw_write8(dst + done, byte);
    }
  });
  return nullptr;
}

napi_value ReadRep(napi_env env, napi_callback_info info) {
  BlockArgs a;
  if (!ReadArgs(env, info, Shape::kWidthView, false, &a)) return nullptr;
  const volatile void* addr = a.region->ptr + a.offset;
  if (a.number == 1) ReadRepAs<uint8_t>(addr, a.data, a.count);
  if (a.number == 2) ReadRepAs<uint16_t>(addr, a.data, a.count);
  if (a.number == 4) ReadRepAs<uint32_t>(addr, a.data, a.count);
  return nullptr;
}

napi_value WriteRep(napi_env env, napi_callback_info info) {
  BlockArgs a;
  if (!ReadArgs(env, info, Shape::kWidthView, true, &a)) return nullptr;
  volatile void* addr = a.region->ptr + a.offset;
  if (a.number == 1) WriteRepAs<uint8_t>(addr, a.data, a.count);
  if (a.number == 2) WriteRepAs<uint16_t>(addr, a.data, a.count);
  if (a.number == 4) WriteRepAs<uint32_t>(addr, a.data, a.count);
  return nullptr;
}

}  // namespace mmio
