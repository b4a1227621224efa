// The C side of the interrupt-latency benchmark (npm run bench:irq): what a C user-space driver for the QEMU
// edu device on uio_pci_generic does to take one interrupt. Built by the bench with the host's cc at run time
// (bench/irq/c-program.ts), run inside the QEMU guest, never shipped.
//
//   irq-latency <uio-device> <pci-config> <iterations> <warm-up> <raise-value>
//
// For each iteration: unmask the interrupt, take CLOCK_MONOTONIC, write <raise-value> to edu's interrupt-raise
// register (BAR0 + 0x60), block in read() of /dev/uioN for the 4-byte event count, take CLOCK_MONOTONIC again,
// then handle the interrupt as a driver does: read the interrupt status (0x24), check it holds <raise-value>,
// write it to the acknowledge register (0x64). Prints one latency in ns per line for each iteration after the
// <warm-up> unrecorded ones.
//
// Unmasking: a write of int32 1 to /dev/uioN calls the driver's irqcontrol. uio_pci_generic has none (the
// write fails with ENOSYS); its kernel handler masks INTx by setting PCI_COMMAND's Interrupt Disable bit
// (bit 10), so the driver clears that bit again through the device's sysfs config file (byte 5, bit 2), kept
// open for the whole run. The device is acknowledged before the unmask, or the interrupt would fire again.
//
// Exits 1 on any failed system call or device check, and if an interrupt is lost (the event count must grow
// by exactly one per iteration). A 120 s alarm ends a run that hangs in read().
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../bench-c.h"

#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define PCI_COMMAND_HIGH_BYTE 5
#define INTX_DISABLE_IN_HIGH_BYTE 0x04
#define RUN_TIMEOUT_S 120

static int uio_fd;
static int config_fd = -1;  // -1 while irqcontrol works (drivers that have it)

static void unmask(void) {
  if (config_fd < 0) {
    const int32_t on = 1;
    if (write(uio_fd, &on, sizeof on) == (ssize_t)sizeof on) return;
    die("write(irqcontrol)");
  }
  uint8_t command_high;
  if (pread(config_fd, &command_high, 1, PCI_COMMAND_HIGH_BYTE) != 1) die("pread(config)");
  if (command_high & INTX_DISABLE_IN_HIGH_BYTE) {
    command_high &= ~INTX_DISABLE_IN_HIGH_BYTE;
    if (pwrite(config_fd, &command_high, 1, PCI_COMMAND_HIGH_BYTE) != 1) die("pwrite(config)");
  }
}

int main(int argc, char** argv) {
  bench_program = "irq-latency";
  if (argc != 6) {
    fprintf(stderr, "usage: irq-latency <uio-device> <pci-config> <iterations> <warm-up> <raise-value>\n");
    return 2;
  }
  const long iterations = strtol(argv[3], NULL, 0);
  const long warm_up = strtol(argv[4], NULL, 0);
  const uint32_t raise = (uint32_t)strtoul(argv[5], NULL, 0);
  alarm(RUN_TIMEOUT_S);

  uio_fd = open(argv[1], O_RDWR | O_CLOEXEC);
  if (uio_fd < 0) die(argv[1]);
  // UIO map 0 is at offset 0 of /dev/uioN; one page covers edu's interrupt registers.
  void* map = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, uio_fd, 0);
  if (map == MAP_FAILED) die("mmap(map0)");
  bar0 = map;

  // Does the driver have irqcontrol? uio_pci_generic answers ENOSYS: unmask through PCI config space instead.
  const int32_t on = 1;
  if (write(uio_fd, &on, sizeof on) != (ssize_t)sizeof on) {
    if (errno != ENOSYS) die("write(irqcontrol)");
    config_fd = open(argv[2], O_RDWR | O_CLOEXEC);
    if (config_fd < 0) die(argv[2]);
  }
  // Start from a quiet device: nothing raised, nothing pending.
  writel(readl(EDU_IRQ_STATUS), EDU_IRQ_ACK);

  latencies latencies = latencies_new(iterations);
  uint32_t last = 0;
  for (long i = -warm_up; i < iterations; i++) {
    unmask();
    const uint64_t t0 = now_ns();
    writel(raise, EDU_IRQ_RAISE);
    uint32_t count;
    const ssize_t n = read(uio_fd, &count, sizeof count);
    const uint64_t t1 = now_ns();
    if (n != (ssize_t)sizeof count) die("read(/dev/uio)");
    const uint32_t status = readl(EDU_IRQ_STATUS);
    writel(status, EDU_IRQ_ACK);
    if ((status & raise) != raise) {
      fprintf(stderr, "irq-latency: interrupt status 0x%x does not hold the raised 0x%x\n", status, raise);
      return 1;
    }
    if (i > -warm_up && count != last + 1) {
      fprintf(stderr, "irq-latency: event count went from %u to %u: %u interrupt(s) lost\n", last, count, count - last - 1);
      return 1;
    }
    last = count;
    latencies_put(&latencies, i, t1 - t0);
  }
  latencies_print(&latencies);
  return 0;
}
