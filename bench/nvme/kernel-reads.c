/*
 * bench/nvme/kernel-reads.c — the kernel-driver side of `npm run bench:nvme`: 4 KiB random reads of an NVMe
 * namespace's block device (/dev/nvmeXn1, the kernel's nvme driver) with O_DIRECT, so every read is one NVMe
 * command and none is served from the page cache.
 *
 *   kernel-reads DEV QD COUNT BLOCKS SEED [poll]
 *
 * QD 1: a pread() loop. QD > 1: io_uring (raw system calls: liburing is not needed), QD reads in flight, each
 * completion resubmitted at once; if the kernel refuses io_uring, QD threads each running a pread() loop (the first
 * output line says which). With `poll` (any QD): io_uring with IORING_SETUP_IOPOLL, the kernel's polled I/O (the
 * nvme driver needs poll queues: the rig loads it with poll_queues=1): io_uring_enter spins on the completion
 * queue instead of sleeping until the interrupt. Blocks are uniform random in [0, BLOCKS) (xorshift32 from SEED, per thread).
 * Every block read is checked against the rig's pattern (test/vm/nvme-image.mjs: word w of 4 KiB block b is
 * 0x4e564d00 ^ (b << 10 | w); words 0 and 1023 are checked): a mismatch exits 3.
 * Output: "mode <pread|io_uring|threads> elapsed_ns <N>", then one line per read: its latency in ns
 * (pread: the call; io_uring: from the io_uring_enter that submitted it to the reap that saw its completion).
 * Built by bench/nvme/run.ts on the host (cc -O2), run inside the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../bench-c.h"

#define BLOCK 4096
#define SEED0 0x4e564d00u

static int fd;
static uint32_t blocks;

static uint32_t xorshift32(uint32_t *s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

static void check(const uint8_t *buf, uint32_t block) {
  uint32_t first, last;
  memcpy(&first, buf, 4);
  memcpy(&last, buf + BLOCK - 4, 4);
  if (first != (SEED0 ^ (block << 10)) || last != (SEED0 ^ ((block << 10) | 1023))) {
    fprintf(stderr, "kernel-reads: block %u does not hold the pattern (word 0 = 0x%08x)\n", block, first);
    exit(3);
  }
}

static void *aligned_buffer(size_t n) {
  void *p;
  if (posix_memalign(&p, BLOCK, n) != 0) die("posix_memalign");
  return p;
}

/* --- QD 1, and the threads fallback: pread loops ---------------------------------------------- */
struct loop {
  uint32_t seed;
  long count;
  uint64_t *lat;
};

static void *pread_loop(void *arg) {
  struct loop *l = arg;
  uint8_t *buf = aligned_buffer(BLOCK);
  for (long i = 0; i < l->count; i++) {
    uint32_t b = xorshift32(&l->seed) % blocks;
    uint64_t t0 = now_ns();
    if (pread(fd, buf, BLOCK, (off_t)b * BLOCK) != BLOCK) die("pread");
    l->lat[i] = now_ns() - t0;
    check(buf, b);
  }
  free(buf);
  return NULL;
}

/* --- QD > 1: io_uring without liburing ------------------------------------------------------- */
struct ring {
  int fd;
  unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes;
};

static unsigned ring_flags;

static int ring_setup(struct ring *r, unsigned entries) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = ring_flags;
  r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
  if (r->fd < 0) return -1;
  size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  if (p.features & IORING_FEAT_SINGLE_MMAP) sq_len = cq_len = sq_len > cq_len ? sq_len : cq_len;
  uint8_t *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) die("mmap SQ ring");
  uint8_t *cq = sq;
  if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
    cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
    if (cq == MAP_FAILED) die("mmap CQ ring");
  }
  r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
  if (r->sqes == MAP_FAILED) die("mmap SQEs");
  r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
  r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
  r->sq_array = (unsigned *)(sq + p.sq_off.array);
  r->cq_head = (unsigned *)(cq + p.cq_off.head);
  r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
  r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
  r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
  return 0;
}

static void ring_queue_read(struct ring *r, void *buf, uint32_t block, uint64_t tag) {
  unsigned tail = *r->sq_tail;
  unsigned idx = tail & *r->sq_mask;
  struct io_uring_sqe *s = &r->sqes[idx];
  memset(s, 0, sizeof *s);
  s->opcode = IORING_OP_READ;
  s->fd = fd;
  s->addr = (uint64_t)(uintptr_t)buf;
  s->len = BLOCK;
  s->off = (uint64_t)block * BLOCK;
  s->user_data = tag;
  r->sq_array[idx] = idx;
  __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

static void uring_reads(unsigned qd, long count, uint32_t seed, uint64_t *lat) {
  struct ring r;
  if (ring_setup(&r, qd) != 0) die("io_uring_setup");
  uint8_t *bufs = aligned_buffer((size_t)qd * BLOCK);
  uint32_t *block = calloc(qd, sizeof *block);
  uint64_t *start = calloc(qd, sizeof *start);
  long submitted = 0, done = 0;
  unsigned to_submit = 0;
  for (unsigned s = 0; s < qd && submitted < count; s++, submitted++, to_submit++) {
    block[s] = xorshift32(&seed) % blocks;
    ring_queue_read(&r, bufs + (size_t)s * BLOCK, block[s], s);
  }
  while (done < count) {
    uint64_t t = now_ns();
    int n = (int)syscall(__NR_io_uring_enter, r.fd, to_submit, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("io_uring_enter");
    }
    for (unsigned s = 0; s < qd; s++)
      if (start[s] == 0) start[s] = t;  /* slots queued since the last enter were submitted by this one */
    to_submit = 0;
    uint64_t seen = now_ns();
    unsigned head = *r.cq_head;
    while (head != __atomic_load_n(r.cq_tail, __ATOMIC_ACQUIRE)) {
      struct io_uring_cqe *c = &r.cqes[head & *r.cq_mask];
      unsigned s = (unsigned)c->user_data;
      if (c->res != BLOCK) {
        fprintf(stderr, "kernel-reads: io_uring read of block %u: %s\n", block[s], c->res < 0 ? strerror(-c->res) : "short read");
        exit(1);
      }
      check(bufs + (size_t)s * BLOCK, block[s]);
      lat[done++] = seen - start[s];
      head++;
      if (submitted < count) {
        block[s] = xorshift32(&seed) % blocks;
        start[s] = 0;
        ring_queue_read(&r, bufs + (size_t)s * BLOCK, block[s], s);
        submitted++;
        to_submit++;
      } else {
        start[s] = UINT64_MAX; /* retired */
      }
    }
    __atomic_store_n(r.cq_head, head, __ATOMIC_RELEASE);
  }
  free(bufs);
  free(block);
  free(start);
  close(r.fd);
}

int main(int argc, char **argv) {
  bench_program = "kernel-reads";
  int polled = argc == 7 && strcmp(argv[6], "poll") == 0;
  if (argc != 6 && !polled) {
    fprintf(stderr, "usage: kernel-reads DEV QD COUNT BLOCKS SEED [poll]\n");
    return 2;
  }
  if (polled) ring_flags = IORING_SETUP_IOPOLL;
  unsigned qd = (unsigned)atoi(argv[2]);
  long count = atol(argv[3]);
  blocks = (uint32_t)strtoul(argv[4], NULL, 0);
  uint32_t seed = (uint32_t)strtoul(argv[5], NULL, 0) | 1;
  if (qd < 1 || qd > 1024 || count < 1 || blocks < 1) {
    fprintf(stderr, "kernel-reads: QD 1..1024, COUNT and BLOCKS at least 1\n");
    return 2;
  }
  fd = open(argv[1], O_RDONLY | O_DIRECT);
  if (fd < 0) die(argv[1]);
  uint64_t *lat = calloc((size_t)count, sizeof *lat);
  const char *mode;
  uint64_t t0 = now_ns();
  if (polled) {
    uring_reads(qd, count, seed, lat);
    mode = "io_uring-iopoll";
  } else if (qd == 1) {
    struct loop l = {seed, count, lat};
    pread_loop(&l);
    mode = "pread";
  } else {
    struct ring probe;
    if (ring_setup(&probe, 4) == 0) {
      close(probe.fd);
      t0 = now_ns();
      uring_reads(qd, count, seed, lat);
      mode = "io_uring";
    } else {
      pthread_t *th = calloc(qd, sizeof *th);
      struct loop *ls = calloc(qd, sizeof *ls);
      long per = count / qd;
      for (unsigned i = 0; i < qd; i++) {
        ls[i] = (struct loop){seed + 7919u * i, i == qd - 1 ? count - per * (qd - 1) : per, lat + per * i};
        if (pthread_create(&th[i], NULL, pread_loop, &ls[i]) != 0) die("pthread_create");
      }
      for (unsigned i = 0; i < qd; i++) pthread_join(th[i], NULL);
      mode = "threads";
    }
  }
  uint64_t elapsed = now_ns() - t0;
  printf("mode %s elapsed_ns %llu\n", mode, (unsigned long long)elapsed);
  for (long i = 0; i < count; i++) printf("%llu\n", (unsigned long long)lat[i]);
  return 0;
}
