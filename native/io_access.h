// Width-exact device accesses and the barriers Linux uses around them, per architecture.
//
// Each raw accessor is one load or store instruction of exactly the stated width, written as inline asm
// so the compiler can neither split, merge, narrow nor elide it (the same technique as the kernel's
// __raw_readl/__raw_writel). The ordered forms follow the kernel's definitions:
//   readX  = raw load, then the "after read" barrier   (__io_ar)
//   writeX = the "before write" barrier, then raw store (__io_bw)
// Sources: include/asm-generic/io.h, arch/x86/include/asm/{io,barrier}.h,
// arch/arm64/include/asm/{io,barrier}.h, arch/arm/include/asm/{io,barrier}.h.
#pragma once

#include <cstdint>

namespace mmio {

#if defined(__x86_64__)

// x86-64: loads and stores to uncached memory are not reordered with each other, so readl/writel are a
// plain mov with a compiler barrier; mb/rmb/wmb are mfence/lfence/sfence.
inline void mb() { asm volatile("mfence" ::: "memory"); }
inline void rmb() { asm volatile("lfence" ::: "memory"); }
inline void wmb() { asm volatile("sfence" ::: "memory"); }
inline void io_after_read(uint64_t) { asm volatile("" ::: "memory"); }
inline void io_before_write() { asm volatile("" ::: "memory"); }
inline void cpu_relax() { asm volatile("pause" ::: "memory"); }

inline uint8_t raw_read8(const volatile void* a) {
  uint8_t v;
  asm volatile("movb %1, %0" : "=q"(v) : "m"(*(const volatile uint8_t*)a) : "memory");
  return v;
}
inline uint16_t raw_read16(const volatile void* a) {
  uint16_t v;
  asm volatile("movw %1, %0" : "=r"(v) : "m"(*(const volatile uint16_t*)a) : "memory");
  return v;
}
inline uint32_t raw_read32(const volatile void* a) {
  uint32_t v;
  asm volatile("movl %1, %0" : "=r"(v) : "m"(*(const volatile uint32_t*)a) : "memory");
  return v;
}
inline uint64_t raw_read64(const volatile void* a) {
  uint64_t v;
  asm volatile("movq %1, %0" : "=r"(v) : "m"(*(const volatile uint64_t*)a) : "memory");
  return v;
}
inline void raw_write8(volatile void* a, uint8_t v) {
  asm volatile("movb %0, %1" : : "q"(v), "m"(*(volatile uint8_t*)a) : "memory");
}
inline void raw_write16(volatile void* a, uint16_t v) {
  asm volatile("movw %0, %1" : : "r"(v), "m"(*(volatile uint16_t*)a) : "memory");
}
inline void raw_write32(volatile void* a, uint32_t v) {
  asm volatile("movl %0, %1" : : "r"(v), "m"(*(volatile uint32_t*)a) : "memory");
}
inline void raw_write64(volatile void* a, uint64_t v) {
  asm volatile("movq %0, %1" : : "r"(v), "m"(*(volatile uint64_t*)a) : "memory");
}
constexpr unsigned kMaxBlockWidth = 8;

#elif defined(__aarch64__)

// arm64: readX is followed by dma_rmb() (dmb oshld) plus the kernel's fake control dependency on the value
// read, so a delay loop after a read cannot start before the read completes; writeX is preceded by
// dma_wmb() (dmb oshst). mb/rmb/wmb are dsb sy/ld/st.
inline void mb() { asm volatile("dsb sy" ::: "memory"); }
inline void rmb() { asm volatile("dsb ld" ::: "memory"); }
inline void wmb() { asm volatile("dsb st" ::: "memory"); }
inline void io_after_read(uint64_t v) {
  uint64_t tmp;
  asm volatile("eor %0, %1, %1\n\tcbnz %0, .\n\tdmb oshld" : "=r"(tmp) : "r"(v) : "memory");
}
inline void io_before_write() { asm volatile("dmb oshst" ::: "memory"); }
inline void cpu_relax() { asm volatile("yield" ::: "memory"); }

inline uint8_t raw_read8(const volatile void* a) {
  uint8_t v;
  asm volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
  return v;
}
inline uint16_t raw_read16(const volatile void* a) {
  uint16_t v;
  asm volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
  return v;
}
inline uint32_t raw_read32(const volatile void* a) {
  uint32_t v;
  asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
  return v;
}
inline uint64_t raw_read64(const volatile void* a) {
  uint64_t v;
  asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
  return v;
}
inline void raw_write8(volatile void* a, uint8_t v) { asm volatile("strb %w0, [%1]" : : "rZ"(v), "r"(a) : "memory"); }
inline void raw_write16(volatile void* a, uint16_t v) { asm volatile("strh %w0, [%1]" : : "rZ"(v), "r"(a) : "memory"); }
inline void raw_write32(volatile void* a, uint32_t v) { asm volatile("str %w0, [%1]" : : "rZ"(v), "r"(a) : "memory"); }
inline void raw_write64(volatile void* a, uint64_t v) { asm volatile("str %x0, [%1]" : : "rZ"(v), "r"(a) : "memory"); }
constexpr unsigned kMaxBlockWidth = 8;

#elif defined(__arm__)

// armv7 (CONFIG_ARM_DMA_MEM_BUFFERABLE, as in multi_v7 kernels): __iormb() is rmb() = dsb, __iowmb() is
// wmb() = dsb st. readq/writeq use ldrd/strd, which are single-copy atomic only on LPAE cores (Cortex-A7,
// A15); on others (Cortex-A8, as on the BeagleBone) a 64-bit access may reach the bus as two 32-bit ones.
inline void mb() { asm volatile("dsb" ::: "memory"); }
inline void rmb() { asm volatile("dsb" ::: "memory"); }
inline void wmb() { asm volatile("dsb st" ::: "memory"); }
inline void io_after_read(uint64_t) { asm volatile("dsb" ::: "memory"); }
inline void io_before_write() { asm volatile("dsb st" ::: "memory"); }
inline void cpu_relax() { asm volatile("yield" ::: "memory"); }

inline uint8_t raw_read8(const volatile void* a) {
  uint8_t v;
  asm volatile("ldrb %0, [%1]" : "=r"(v) : "r"(a) : "memory");
  return v;
}
inline uint16_t raw_read16(const volatile void* a) {
  uint16_t v;
  asm volatile("ldrh %0, [%1]" : "=r"(v) : "r"(a) : "memory");
  return v;
}
inline uint32_t raw_read32(const volatile void* a) {
  uint32_t v;
  asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
  return v;
}
inline uint64_t raw_read64(const volatile void* a) {
  uint64_t v;
  asm volatile("ldrd %0, %H0, [%1]" : "=&r"(v) : "r"(a) : "memory");
  return v;
}
inline void raw_write8(volatile void* a, uint8_t v) { asm volatile("strb %0, [%1]" : : "r"(v), "r"(a) : "memory"); }
inline void raw_write16(volatile void* a, uint16_t v) { asm volatile("strh %0, [%1]" : : "r"(v), "r"(a) : "memory"); }
inline void raw_write32(volatile void* a, uint32_t v) { asm volatile("str %0, [%1]" : : "r"(v), "r"(a) : "memory"); }
inline void raw_write64(volatile void* a, uint64_t v) { asm volatile("strd %0, %H0, [%1]" : : "r"(v), "r"(a) : "memory"); }
constexpr unsigned kMaxBlockWidth = 4;

#else
#error "mmio supports x86-64, arm64 and armv7"
#endif

// Width-generic raw access, so templates can name the width as a type.
template <typename T> T raw_read(const volatile void* a);
template <> inline uint8_t raw_read<uint8_t>(const volatile void* a) { return raw_read8(a); }
template <> inline uint16_t raw_read<uint16_t>(const volatile void* a) { return raw_read16(a); }
template <> inline uint32_t raw_read<uint32_t>(const volatile void* a) { return raw_read32(a); }
template <> inline uint64_t raw_read<uint64_t>(const volatile void* a) { return raw_read64(a); }
inline void raw_write(volatile void* a, uint8_t v) { raw_write8(a, v); }
inline void raw_write(volatile void* a, uint16_t v) { raw_write16(a, v); }
inline void raw_write(volatile void* a, uint32_t v) { raw_write32(a, v); }
inline void raw_write(volatile void* a, uint64_t v) { raw_write64(a, v); }

// The kernel's readX/writeX: the raw access with its barriers.
template <typename T> inline T ordered_read(const volatile void* a) {
  T v = raw_read<T>(a);
  io_after_read(v);
  return v;
}
template <typename T> inline void ordered_write(volatile void* a, T v) {
  io_before_write();
  raw_write(a, v);
}

}  // namespace mmio
