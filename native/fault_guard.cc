#include "fault_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

namespace mmio {
namespace {

// Slots the handler scans. Lock-free for the handler: a slot is live while its `end` is non-zero; writers
// fill `start` and `word` before publishing `end`, and clear `end` first when unwatching.
constexpr int kSlots = 4096;
struct Slot {
  std::atomic<uintptr_t> start{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<FaultWord*> word{nullptr};
};
Slot slots[kSlots];
std::mutex slots_mutex;  // serialises WatchRange/UnwatchRange between threads (workers)

struct sigaction previous_bus;
struct sigaction previous_segv;
uintptr_t page_mask = 0;

void Chain(int sig, siginfo_t* info, void* context) {
  const struct sigaction& prev = sig == SIGBUS ? previous_bus : previous_segv;
  if ((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, info, context);
    return;
  }
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler != nullptr) {
    prev.sa_handler(sig);
    return;
  }
  // Default action: restore it and return; the faulting instruction runs again and the process dies as it
  // would have without us.
  signal(sig, SIG_DFL);
}

void OnFault(int sig, siginfo_t* info, void* context) {
  const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Slot& slot : slots) {
    const uintptr_t end = slot.end.load(std::memory_order_acquire);
    if (end == 0 || addr >= end || addr < slot.start.load(std::memory_order_relaxed)) continue;
    FaultWord* word = slot.word.load(std::memory_order_relaxed);
    void* page = reinterpret_cast<void*>(addr & page_mask);
    // mmap is a plain system call on Linux, safe to make here.
    if (mmap(page, ~page_mask + 1, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
      break;
    }
    if (!word->faulted) {
      word->addr_lo = static_cast<uint32_t>(addr - slot.start.load(std::memory_order_relaxed));
      word->addr_hi = static_cast<uint32_t>(static_cast<uint64_t>(addr - slot.start.load(std::memory_order_relaxed)) >> 32);
      word->signal = sig;
      word->faulted = 1;
    }
    return;
  }
  Chain(sig, info, context);
}

}  // namespace

bool InstallFaultHandler() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    page_mask = ~static_cast<uintptr_t>(sysconf(_SC_PAGESIZE) - 1);
    struct sigaction action = {};
    action.sa_sigaction = OnFault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    ok = sigaction(SIGBUS, &action, &previous_bus) == 0 && sigaction(SIGSEGV, &action, &previous_segv) == 0;
  });
  return ok;
}

int WatchRange(const void* start, size_t length, FaultWord* word) {
  std::lock_guard<std::mutex> lock(slots_mutex);
  for (int i = 0; i < kSlots; i++) {
    if (slots[i].end.load(std::memory_order_relaxed) != 0) continue;
    slots[i].start.store(reinterpret_cast<uintptr_t>(start), std::memory_order_relaxed);
    slots[i].word.store(word, std::memory_order_relaxed);
    slots[i].end.store(reinterpret_cast<uintptr_t>(start) + length, std::memory_order_release);
    return i;
  }
  return -1;
}

void UnwatchRange(int slot) {
  if (slot < 0) return;
  std::lock_guard<std::mutex> lock(slots_mutex);
  slots[slot].end.store(0, std::memory_order_release);
}

}  // namespace mmio
