/*
 * The floor of a sleeping poll on this machine, for bench/poll-sleep.ts: a C loop that sleeps `sleep_us` on a
 * CLOCK_MONOTONIC timerfd (TFD_TIMER_ABSTIME) and waits for it in epoll_wait, as libuv does, for `seconds`
 * seconds, with one volatile read of a word per wake-up. What it costs in CPU is the price of a wake-up here
 * (timer interrupt, scheduler, on a VM the exits), which no JS poll can go below.
 *
 *   timerfd-sleep <sleep_us> <milliseconds>    prints: <wake-ups> <cpu_us> <wall_us>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const uint64_t sleep_ns = strtoull(argv[1], NULL, 10) * 1000ull;
  const uint64_t run_ns = strtoull(argv[2], NULL, 10) * 1000000ull;
  const int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN};
  if (fd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) return 1;
  static volatile uint32_t word;
  uint32_t sink = 0;
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  const uint64_t t0 = now_ns();
  uint64_t wakes = 0;
  while (now_ns() - t0 < run_ns) {
    sink ^= word;
    const uint64_t at = now_ns() + sleep_ns;
    struct itimerspec spec = {{0, 0}, {(time_t)(at / 1000000000ull), (long)(at % 1000000000ull)}};
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL);
    epoll_wait(ep, &ev, 1, -1);
    wakes++;
  }
  const uint64_t wall = now_ns() - t0;
  getrusage(RUSAGE_SELF, &r1);
  const double cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1e6 + (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) +
                     (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e6 + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);
  printf("%llu %.0f %.0f %u\n", (unsigned long long)wakes, cpu, wall / 1000.0, sink & 0);
  return 0;
}
