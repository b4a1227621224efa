// What the bench's C programs share (bench/irq/irq-latency.c, bench/vfio/vfio-irq-latency.c,
// bench/vfio/nvme-irq-latency.c, bench/nvme/kernel-reads.c): failing loudly, CLOCK_MONOTONIC in ns, 32-bit access to a mapped BAR, and the
// latency buffer printed one ns value per line after the warm-up (the JS side, bench/stats.ts, takes medians and
// percentiles). Included as
// "../bench-c.h"; bench/c-build.ts hashes it with each program, so a change rebuilds them. Never shipped.
#ifndef MMIO_BENCH_C_H
#define MMIO_BENCH_C_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// The program's name in its messages; set by main() first.
static const char* bench_program = "bench";

// A failed system call: its name and errno's text on stderr, exit 1.
static inline void die(const char* what) {
  fprintf(stderr, "%s: %s: %s\n", bench_program, what, strerror(errno));
  exit(1);
}

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// BAR0 (or UIO map 0) as the program mapped it; readl/writel as the kernel names them.
// (A program without a BAR, kernel-reads.c, leaves them unused: inline functions and an unused-marked pointer.)
__attribute__((unused)) static volatile uint8_t* bar0;
static inline uint32_t readl(size_t offset) { return *(volatile uint32_t*)(bar0 + offset); }
static inline void writel(uint32_t value, size_t offset) { *(volatile uint32_t*)(bar0 + offset) = value; }

// One latency per recorded iteration (i >= 0 of -warm_up..iterations-1).
typedef struct {
  uint64_t* ns;
  long count;
} latencies;

static inline latencies latencies_new(long iterations) {
  latencies l = {calloc((size_t)(iterations > 0 ? iterations : 1), sizeof(uint64_t)), iterations};
  if (l.ns == NULL) die("calloc");
  return l;
}

// Record iteration i's latency (warm-up iterations, i < 0, are not recorded).
static inline void latencies_put(latencies* l, long i, uint64_t ns) {
  if (i >= 0 && i < l->count) l->ns[i] = ns;
}

// Print the latencies on stdout, one per line, in ns.
static inline void latencies_print(const latencies* l) {
  for (long i = 0; i < l->count; i++) printf("%llu\n", (unsigned long long)l->ns[i]);
}

#endif
