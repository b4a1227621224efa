#include "accessors.h"

#include "js_throw.h"

#include <byteswap.h>

#include "io_access.h"
#include "js_throw.h"
#include "napi_args.h"

namespace mmio {
namespace {

enum class Order { kOrdered, kRelaxed };
enum class Endian { kLittle, kBig };

template <typename T> T Swap(T v);
template <> uint16_t Swap<uint16_t>(uint16_t v) { return bswap_16(v); }
template <> uint32_t Swap<uint32_t>(uint32_t v) { return bswap_32(v); }

template <typename T, Order O, Endian E>
napi_value Read(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  Region* r = static_cast<Region*>(data);
  uint64_t offset;
  if (argc < 1 || !GetIndex(env, argv[0], &offset) || !r->Fits(offset, sizeof(T))) return ThrowBadAccess(env, r);
  void* addr = r->ptr + offset;
  T v = O == Order::kOrdered ? ordered_read<T>(addr) : raw_read<T>(addr);
  if constexpr (E == Endian::kBig) v = Swap<T>(v);
  napi_value result;
  if constexpr (sizeof(T) == 8) {
    napi_create_bigint_uint64(env, v, &result);
  } else {
    napi_create_uint32(env, v, &result);
  }
  return result;
}

template <typename T, Order O, Endian E>
napi_value Write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  Region* r = static_cast<Region*>(data);
  uint64_t offset;
  if (argc < 2 || !GetIndex(env, argv[1], &offset) || !r->Fits(offset, sizeof(T))) return ThrowBadAccess(env, r);
  if (!r->writable) {
    napi_throw_error(env, "ERR_IOMEM_READONLY", "region was mapped read-only");
    return nullptr;
  }
  T v;
  if constexpr (sizeof(T) == 8) {
    bool lossless;
    if (napi_get_value_bigint_uint64(env, argv[0], &v, &lossless) != napi_ok) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "value must be a bigint");
      return nullptr;
    }
  } else {
    uint32_t u;
    if (napi_get_value_uint32(env, argv[0], &u) != napi_ok) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "value must be a number");
      return nullptr;
    }
    v = static_cast<T>(u);
  }
  if constexpr (E == Endian::kBig) v = Swap<T>(v);
  void* addr = r->ptr + offset;
  if (O == Order::kOrdered) {
    ordered_write<T>(addr, v);
  } else {
    raw_write(addr, v);
  }
  return nullptr;
}

void Bind(Napi::Env env, Napi::Object& target, Region* r, const char* name, napi_callback cb) {
  napi_value fn;
  NAPI_THROW_IF_FAILED_VOID(env, napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, r, &fn));
  // Each function holds the Region alive until the function itself is collected.
  AddRef(r);
  NAPI_THROW_IF_FAILED_VOID(env, napi_add_finalizer(env, fn, r, ReleaseFinalizer, nullptr, nullptr));
  target.Set(name, Napi::Value(env, fn));
}

}  // namespace

Napi::Object CreateAccessors(Napi::Env env, Region* r) {
  Napi::Object fns = Napi::Object::New(env);
  constexpr auto O = Order::kOrdered;
  constexpr auto R = Order::kRelaxed;
  constexpr auto L = Endian::kLittle;
  constexpr auto B = Endian::kBig;
  Bind(env, fns, r, "read8", Read<uint8_t, O, L>);
  Bind(env, fns, r, "read16", Read<uint16_t, O, L>);
  Bind(env, fns, r, "read32", Read<uint32_t, O, L>);
  Bind(env, fns, r, "read64", Read<uint64_t, O, L>);
  Bind(env, fns, r, "read8Relaxed", Read<uint8_t, R, L>);
  Bind(env, fns, r, "read16Relaxed", Read<uint16_t, R, L>);
  Bind(env, fns, r, "read32Relaxed", Read<uint32_t, R, L>);
  Bind(env, fns, r, "read64Relaxed", Read<uint64_t, R, L>);
  Bind(env, fns, r, "read16be", Read<uint16_t, O, B>);
  Bind(env, fns, r, "read32be", Read<uint32_t, O, B>);
  Bind(env, fns, r, "write8", Write<uint8_t, O, L>);
  Bind(env, fns, r, "write16", Write<uint16_t, O, L>);
  Bind(env, fns, r, "write32", Write<uint32_t, O, L>);
  Bind(env, fns, r, "write64", Write<uint64_t, O, L>);
  Bind(env, fns, r, "write8Relaxed", Write<uint8_t, R, L>);
  Bind(env, fns, r, "write16Relaxed", Write<uint16_t, R, L>);
  Bind(env, fns, r, "write32Relaxed", Write<uint32_t, R, L>);
  Bind(env, fns, r, "write64Relaxed", Write<uint64_t, R, L>);
  Bind(env, fns, r, "write16be", Write<uint16_t, O, B>);
  Bind(env, fns, r, "write32be", Write<uint32_t, O, B>);
  return fns;
}

Napi::Value BindAccessors(const Napi::CallbackInfo& info) {
  Region* r = info[0].As<Napi::External<Region>>().Data();
  if (!r->mapped) return ThrowJs(Napi::Error::New(info.Env(), "region is unmapped"));
  return CreateAccessors(info.Env(), r);
}

}  // namespace mmio
