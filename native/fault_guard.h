// Bus faults inside a mapping become errors instead of killing the process.
//
// An access to an unclocked or absent peripheral, or past the end of a truncated file, raises SIGBUS (or
// SIGSEGV). A process-wide handler looks the faulting address up among the live mappings. If it lies in one,
// the handler maps an anonymous page over the faulting page, so the instruction completes harmlessly when it is
// re-executed, and records the fault (address, signal) in the region's fault word, which JS and the native
// accessors check after each access and turn into an `EFAULT` error. From then on the region is poisoned: every
// access throws until it is unmapped. Faults outside every mapping go to the handler that was there before
// (V8's own, for WebAssembly), or get the default action.
//
// The guard costs each access one load of the fault word; it covers every path, including the x86-64
// Atomics.load fast path, because it needs no setjmp around the access.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mmio {

// What the handler records, in memory JS can read as an Int32Array: [faulted, addr_lo, addr_hi, signal].
struct FaultWord {
  volatile int32_t faulted;
  volatile uint32_t addr_lo;
  volatile uint32_t addr_hi;
  volatile int32_t signal;
};

// Installs the SIGBUS/SIGSEGV handler once per process. Returns false if sigaction failed.
bool InstallFaultHandler();

// Watches [start, start + length) and reports faults there into *word. Returns a slot id, or -1 when every
// slot is taken (the mapping then works unguarded).
int WatchRange(const void* start, size_t length, FaultWord* word);

// Stops watching; call before munmap.
void UnwatchRange(int slot);

}  // namespace mmio
