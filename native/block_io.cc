#include "block_io.h"

#include <cstring>

#include "io_access.h"
#include "region.h"

namespace mmio {
namespace {

// The region and the checked [offset, offset + count) range, or a thrown RangeError.
Region* CheckedRegion(const Napi::CallbackInfo& info, uint64_t offset, uint64_t count, size_t align) {
  Region* r = info[0].As<Napi::External<Region>>().Data();
  if (!r->mapped) throw Napi::Error::New(info.Env(), "region is unmapped");
  if (offset > r->size || count > r->size - offset ||
      ((reinterpret_cast<uintptr_t>(r->ptr) + offset) & (align - 1)) != 0) {
    throw Napi::RangeError::New(info.Env(), "block range out of the region or unaligned");
  }
  return r;
}

// Block writes to a read-only mapping would fault (SIGSEGV, reported as EFAULT and poisoning the region):
// refuse them as the single-register writes do.
void RequireWritable(const Napi::CallbackInfo& info, const Region* r) {
  if (r->writable) return;
  Napi::Error e = Napi::Error::New(info.Env(), "region was mapped read-only");
  e.Set("code", Napi::String::New(info.Env(), "ERR_IOMEM_READONLY"));
  throw e;
}

uint64_t ArgU64(const Napi::Value& v) { return static_cast<uint64_t>(v.As<Napi::Number>().DoubleValue()); }

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

}  // namespace

Napi::Value MemcpyFromIo(const Napi::CallbackInfo& info) {
  const uint64_t offset = ArgU64(info[1]);
  Napi::Uint8Array dst = info[2].As<Napi::Uint8Array>();
  const uint64_t count = ArgU64(info[3]);
  if (count > dst.ByteLength()) throw Napi::RangeError::New(info.Env(), "count exceeds the buffer");
  Region* r = CheckedRegion(info, offset, count, 1);
  uint8_t* out = dst.Data();
  const uint8_t* src = r->ptr + offset;
  ForEachAccess(reinterpret_cast<uintptr_t>(src), count, [&](size_t w, size_t done) {
    switch (w) {
      case 8: { uint64_t v = raw_read64(src + done); std::memcpy(out + done, &v, 8); break; }
      case 4: { uint32_t v = raw_read32(src + done); std::memcpy(out + done, &v, 4); break; }
      case 2: { uint16_t v = raw_read16(src + done); std::memcpy(out + done, &v, 2); break; }
      default: out[done] = raw_read8(src + done);
    }
  });
  return info.Env().Undefined();
}

Napi::Value MemcpyToIo(const Napi::CallbackInfo& info) {
  const uint64_t offset = ArgU64(info[1]);
  Napi::Uint8Array src = info[2].As<Napi::Uint8Array>();
  const uint64_t count = ArgU64(info[3]);
  if (count > src.ByteLength()) throw Napi::RangeError::New(info.Env(), "count exceeds the buffer");
  Region* r = CheckedRegion(info, offset, count, 1);
  RequireWritable(info, r);
  const uint8_t* in = src.Data();
  uint8_t* dst = r->ptr + offset;
  ForEachAccess(reinterpret_cast<uintptr_t>(dst), count, [&](size_t w, size_t done) {
    switch (w) {
      case 8: { uint64_t v; std::memcpy(&v, in + done, 8); raw_write64(dst + done, v); break; }
      case 4: { uint32_t v; std::memcpy(&v, in + done, 4); raw_write32(dst + done, v); break; }
      case 2: { uint16_t v; std::memcpy(&v, in + done, 2); raw_write16(dst + done, v); break; }
      default: raw_write8(dst + done, in[done]);
    }
  });
  return info.Env().Undefined();
}

Napi::Value MemsetIo(const Napi::CallbackInfo& info) {
  const uint64_t offset = ArgU64(info[1]);
  const uint8_t byte = static_cast<uint8_t>(info[2].As<Napi::Number>().Uint32Value());
  const uint64_t count = ArgU64(info[3]);
  Region* r = CheckedRegion(info, offset, count, 1);
  RequireWritable(info, r);
  uint8_t* dst = r->ptr + offset;
  const uint64_t pattern = 0x0101010101010101ULL * byte;
  ForEachAccess(reinterpret_cast<uintptr_t>(dst), count, [&](size_t w, size_t done) {
    switch (w) {
      case 8: raw_write64(dst + done, pattern); break;
      case 4: raw_write32(dst + done, static_cast<uint32_t>(pattern)); break;
      case 2: raw_write16(dst + done, static_cast<uint16_t>(pattern)); break;
      default: raw_write8(dst + done, byte);
    }
  });
  return info.Env().Undefined();
}

namespace {

template <typename T> void ReadRepAs(volatile void* addr, void* out, size_t count) {
  T* dst = static_cast<T*>(out);
  for (size_t i = 0; i < count; i++) dst[i] = raw_read<T>(addr);
}

template <typename T> void WriteRepAs(volatile void* addr, const void* in, size_t count) {
  const T* src = static_cast<const T*>(in);
  for (size_t i = 0; i < count; i++) raw_write(addr, src[i]);
}

}  // namespace

Napi::Value ReadRep(const Napi::CallbackInfo& info) {
  const uint64_t offset = ArgU64(info[1]);
  const uint32_t width = info[2].As<Napi::Number>().Uint32Value();
  Napi::TypedArray dst = info[3].As<Napi::TypedArray>();
  const uint64_t count = ArgU64(info[4]);
  if (width != 1 && width != 2 && width != 4) throw Napi::RangeError::New(info.Env(), "width must be 1, 2 or 4");
  if (dst.ElementSize() != width || count > dst.ElementLength()) {
    throw Napi::RangeError::New(info.Env(), "buffer element size or length does not fit");
  }
  Region* r = CheckedRegion(info, offset, width, width);
  void* out = static_cast<uint8_t*>(dst.ArrayBuffer().Data()) + dst.ByteOffset();
  volatile void* addr = r->ptr + offset;
  if (width == 1) ReadRepAs<uint8_t>(addr, out, count);
  if (width == 2) ReadRepAs<uint16_t>(addr, out, count);
  if (width == 4) ReadRepAs<uint32_t>(addr, out, count);
  return info.Env().Undefined();
}

Napi::Value WriteRep(const Napi::CallbackInfo& info) {
  const uint64_t offset = ArgU64(info[1]);
  const uint32_t width = info[2].As<Napi::Number>().Uint32Value();
  Napi::TypedArray src = info[3].As<Napi::TypedArray>();
  const uint64_t count = ArgU64(info[4]);
  if (width != 1 && width != 2 && width != 4) throw Napi::RangeError::New(info.Env(), "width must be 1, 2 or 4");
  if (src.ElementSize() != width || count > src.ElementLength()) {
    throw Napi::RangeError::New(info.Env(), "buffer element size or length does not fit");
  }
  Region* r = CheckedRegion(info, offset, width, width);
  RequireWritable(info, r);
  const void* in = static_cast<const uint8_t*>(src.ArrayBuffer().Data()) + src.ByteOffset();
  volatile void* addr = r->ptr + offset;
  if (width == 1) WriteRepAs<uint8_t>(addr, in, count);
  if (width == 2) WriteRepAs<uint16_t>(addr, in, count);
  if (width == 4) WriteRepAs<uint32_t>(addr, in, count);
  return info.Env().Undefined();
}

}  // namespace mmio
