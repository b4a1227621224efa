// The C baseline of the benchmark: loops of volatile accesses on the same mapping the JS cases use.
// Built by the bench at run time (bench/c-baseline.ts), never shipped.
//
//   volatile-loop time <file> <size> <reg-offset> <block-offset> <target-ms> <case>...
//       For each case, prints "<case> <ns per op>": one timed run of about <target-ms>. Cases:
//       read8 read16 read32 read64 read16be read32be write8 write16 write32 write64 write16be write32be
//       memcpy_fromio:<bytes> memcpy_toio:<bytes> ioread32_rep:<bytes> iowrite32_rep:<bytes>
//       (block cases report ns per 32-bit word).
//   volatile-loop poll <file> <size> <flag-offset> <samples> <timeout-ms> <warm-up-flips>
//       Runs the poller's side of the reaction protocol (bench/poll-protocol.ts) against the flipper
//       process and prints one reaction time in ns per line, after <warm-up-flips> unrecorded ones.
//
// Every access is a volatile load or store of the stated width, as a C driver would write it; the block
// copies use 64-bit accesses like the library's memcpy_fromio/toio. Results fold into `sink` so the
// compiler keeps every load.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;
static uint8_t* base;
static size_t reg_offset;
static size_t block_offset;
static size_t block_bytes;
static uint8_t* buffer;  // ordinary memory: the other side of block copies

#if defined(__x86_64__) || defined(__i386__)
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
#else
static inline void cpu_relax(void) { __asm__ volatile("yield" ::: "memory"); }
#endif

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define REG(type) ((volatile type*)(base + reg_offset))

static void read8(long n) { uint32_t acc = 0; for (long i = 0; i < n; i++) acc ^= *REG(uint8_t); sink += acc; }
static void read16(long n) { uint32_t acc = 0; for (long i = 0; i < n; i++) acc ^= *REG(uint16_t); sink += acc; }
static void read32(long n) { uint32_t acc = 0; for (long i = 0; i < n; i++) acc ^= *REG(uint32_t); sink += acc; }
static void read64(long n) { uint64_t acc = 0; for (long i = 0; i < n; i++) acc ^= *REG(uint64_t); sink += acc; }
static void read16be(long n) { uint32_t acc = 0; for (long i = 0; i < n; i++) acc ^= __builtin_bswap16(*REG(uint16_t)); sink += acc; }
static void read32be(long n) { uint32_t acc = 0; for (long i = 0; i < n; i++) acc ^= __builtin_bswap32(*REG(uint32_t)); sink += acc; }
static void write8(long n) { for (long i = 0; i < n; i++) *REG(uint8_t) = (uint8_t)i; }
static void write16(long n) { for (long i = 0; i < n; i++) *REG(uint16_t) = (uint16_t)i; }
static void write32(long n) { for (long i = 0; i < n; i++) *REG(uint32_t) = (uint32_t)i; }
static void write64(long n) { for (long i = 0; i < n; i++) *REG(uint64_t) = (uint64_t)i; }
static void write16be(long n) { for (long i = 0; i < n; i++) *REG(uint16_t) = __builtin_bswap16((uint16_t)i); }
static void write32be(long n) { for (long i = 0; i < n; i++) *REG(uint32_t) = __builtin_bswap32((uint32_t)i); }

static void memcpy_fromio(long n) {
  const volatile uint64_t* src = (const volatile uint64_t*)(base + block_offset);
  uint64_t* dst = (uint64_t*)buffer;
  for (long k = 0; k < n; k++)
    for (size_t j = 0; j < block_bytes / 8; j++) dst[j] = src[j];
  sink += dst[0];
}
static void memcpy_toio(long n) {
  volatile uint64_t* dst = (volatile uint64_t*)(base + block_offset);
  const uint64_t* src = (const uint64_t*)buffer;
  for (long k = 0; k < n; k++)
    for (size_t j = 0; j < block_bytes / 8; j++) dst[j] = src[j];
}
static void ioread32_rep(long n) {
  uint32_t* dst = (uint32_t*)buffer;
  for (long k = 0; k < n; k++)
    for (size_t j = 0; j < block_bytes / 4; j++) dst[j] = *REG(uint32_t);
  sink += dst[0];
}
static void iowrite32_rep(long n) {
  const uint32_t* src = (const uint32_t*)buffer;
  for (long k = 0; k < n; k++)
    for (size_t j = 0; j < block_bytes / 4; j++) *REG(uint32_t) = src[j];
}

struct timed_case {
  const char* name;
  void (*run)(long n);
  int block;  // 1: the name is "<name>:<bytes>" and ns are per 32-bit word
};

static const struct timed_case cases[] = {
    {"read8", read8, 0},           {"read16", read16, 0},         {"read32", read32, 0},
    {"read64", read64, 0},         {"read16be", read16be, 0},     {"read32be", read32be, 0},
    {"write8", write8, 0},         {"write16", write16, 0},       {"write32", write32, 0},
    {"write64", write64, 0},       {"write16be", write16be, 0},   {"write32be", write32be, 0},
    {"memcpy_fromio", memcpy_fromio, 1}, {"memcpy_toio", memcpy_toio, 1},
    {"ioread32_rep", ioread32_rep, 1},   {"iowrite32_rep", iowrite32_rep, 1},
};

// Time `run` over about target_ns: double n until a run takes a quarter of it, then one timed run.
static double ns_per_call(void (*run)(long), uint64_t target_ns) {
  long n = 16;
  for (;;) {
    uint64_t t0 = now_ns();
    run(n);
    uint64_t dt = now_ns() - t0;
    if (dt >= target_ns / 4) {
      long timed = (long)((double)n * (double)target_ns / (double)dt) + 1;
      t0 = now_ns();
      run(timed);
      return (double)(now_ns() - t0) / (double)timed;
    }
    n *= 2;
  }
}

static int map_file(const char* path, size_t size) {
  int fd = open(path, O_RDWR);
  if (fd < 0) { perror(path); return -1; }
  base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (base == MAP_FAILED) { perror("mmap"); return -1; }
  return 0;
}

static int cmd_time(int argc, char** argv) {
  if (argc < 7) return 2;
  const size_t size = strtoull(argv[1], NULL, 0);
  reg_offset = strtoull(argv[2], NULL, 0);
  block_offset = strtoull(argv[3], NULL, 0);
  const uint64_t target_ns = strtoull(argv[4], NULL, 0) * 1000000ull;
  if (map_file(argv[0], size)) return 1;
  buffer = aligned_alloc(64, size);
  memset(buffer, 0x5a, size);
  for (int a = 5; a < argc; a++) {
    const char* name = argv[a];
    const char* colon = strchr(name, ':');
    const size_t len = colon ? (size_t)(colon - name) : strlen(name);
    const struct timed_case* c = NULL;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
      if (strlen(cases[i].name) == len && strncmp(cases[i].name, name, len) == 0) c = &cases[i];
    if (!c || (c->block && !colon)) { fprintf(stderr, "unknown case %s\n", name); return 2; }
    block_bytes = c->block ? strtoull(colon + 1, NULL, 0) : 0;
    if (c->block && (block_bytes == 0 || block_offset + block_bytes > size)) { fprintf(stderr, "bad block %s\n", name); return 2; }
    const double ns = ns_per_call(c->run, target_ns);
    printf("%s %.4f\n", name, c->block ? ns / (double)(block_bytes / 4) : ns);
  }
  return 0;
}

// The poller's side of bench/poll-protocol.ts: clear FLAG, bump ARM, spin on FLAG, then report how long
// after the flipper's timestamp this process saw the bit.
static int cmd_poll(int argc, char** argv) {
  if (argc < 6) return 2;
  const size_t size = strtoull(argv[1], NULL, 0);
  const size_t flag_offset = strtoull(argv[2], NULL, 0);
  const long warm_up = strtol(argv[5], NULL, 0);
  const long samples = strtol(argv[3], NULL, 0) + warm_up;
  const uint64_t timeout_ns = strtoull(argv[4], NULL, 0) * 1000000ull;
  if (map_file(argv[0], size)) return 1;
  volatile uint32_t* flag = (volatile uint32_t*)(base + flag_offset);
  volatile uint64_t* flipped_at = (volatile uint64_t*)(base + flag_offset + 64);
  volatile uint32_t* arm = (volatile uint32_t*)(base + flag_offset + 128);
  volatile uint32_t* ready = (volatile uint32_t*)(base + flag_offset + 192);
  const uint64_t give_up = now_ns() + timeout_ns;
  while (!(*ready & 1))
    if (now_ns() > give_up) { fprintf(stderr, "the flipper never became ready\n"); return 1; }
  for (long i = 1; i <= samples; i++) {
    *flag = 0;
    *arm = (uint32_t)i;
    const uint64_t deadline = now_ns() + timeout_ns;
    // As the kernel's read_poll_timeout_atomic with delay 0: read, test, check the clock, relax.
    while (!(*flag & 1)) {
      if (now_ns() > deadline) { fprintf(stderr, "timed out waiting for the flip\n"); return 1; }
      cpu_relax();
    }
    const uint64_t seen = now_ns();
    if (i > warm_up) printf("%llu\n", (unsigned long long)(seen - *flipped_at));
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "time") == 0) return cmd_time(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "poll") == 0) return cmd_poll(argc - 2, argv + 2);
  fprintf(stderr, "usage: volatile-loop time|poll ... (see the comment at the top of volatile-loop.c)\n");
  return 2;
}
