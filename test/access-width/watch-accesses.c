// Counts the CPU's accesses to one device register of a child process, with x86 debug registers.
//
//   watch-accesses <mapped-file> <offset> <width> -- <command> [args...]
//
// Runs the command as a child with pipes on its stdin and stdout. When the child prints "ready", the
// mapping of <mapped-file> (at file offset 0) is looked up in /proc/<pid>/maps and four 1-byte read/write
// data watchpoints are set on the child's main thread, around the register [offset, offset + width):
//   DR0: its first byte   DR1: its last byte   DR2: the byte before it   DR3: the byte after it
// then the child is told "go". Every access to any of those bytes stops the child with SIGTRAP, and DR6
// says which watchpoints one instruction touched. A single access of exactly the register's width
// touches DR0 and DR1 together and neither neighbour: bits 0b0011. A narrowed access shows 0b0001 or
// 0b0010, a split one two traps of those, a widened one sets bit 2 or 3.
//
// Exit status 3 when ptrace or the debug registers are unavailable here, 2 on other errors.
// Prints one JSON line: {"traps":{"<bits>":count,...},"child":<the child's last stdout line>,"status":N}
// Test support for test/access-width.test.ts; x86-64 Linux only.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEBUG_REG(i) (offsetof(struct user, u_debugreg) + (i) * sizeof(long))

static void die(const char* what) {
  fprintf(stderr, "watch-accesses: %s: %s\n", what, strerror(errno));
  exit(2);
}

// Exit code 3: this machine does not let us trace with debug registers (no ptrace, no hw breakpoints).
static void unavailable(const char* what) {
  fprintf(stderr, "watch-accesses: %s: %s\n", what, strerror(errno));
  exit(3);
}

// The start address of the one mapping of `path` at file offset 0 in process `pid`.
static uintptr_t mapping_start(pid_t pid, const char* path) {
  char maps[64];
  snprintf(maps, sizeof maps, "/proc/%d/maps", pid);
  FILE* f = fopen(maps, "r");
  if (!f) die("open /proc/pid/maps");
  char line[4096];
  uintptr_t found = 0;
  int count = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long start, end, offset;
    char perms[8];
    int name_at = 0;
    if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &start, &end, perms, &offset, &name_at) < 4 || !name_at) continue;
    char* name = line + name_at;
    name[strcspn(name, "\n")] = 0;
    if (strcmp(name, path) == 0 && offset == 0) {
      found = start;
      count++;
    }
  }
  fclose(f);
  if (count != 1) {
    fprintf(stderr, "watch-accesses: expected one mapping of %s at offset 0, found %d\n", path, count);
    exit(2);
  }
  return found;
}

static void poke_debug_reg(pid_t pid, int i, unsigned long value) {
  if (ptrace(PTRACE_POKEUSER, pid, DEBUG_REG(i), value) != 0) unavailable("PTRACE_POKEUSER debug register");
}

int main(int argc, char** argv) {
  if (argc < 6 || strcmp(argv[4], "--") != 0) {
    fprintf(stderr, "usage: watch-accesses <mapped-file> <offset> <width> -- <command> [args...]\n");
    return 2;
  }
  const char* path = argv[1];
  const unsigned long offset = strtoul(argv[2], NULL, 0);
  const unsigned long width = strtoul(argv[3], NULL, 0);
  int to_child[2], from_child[2];
  if (pipe(to_child) || pipe(from_child)) die("pipe");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    close(to_child[1]);
    close(from_child[0]);
    execvp(argv[5], argv + 5);
    die("exec");
  }
  close(to_child[0]);
  close(from_child[1]);
  FILE* child_out = fdopen(from_child[0], "r");
  char line[65536] = "";
  if (!fgets(line, sizeof line, child_out) || strncmp(line, "ready", 5) != 0) {
    fprintf(stderr, "watch-accesses: the child did not print \"ready\" (got: %s)\n", line);
    kill(pid, SIGKILL);
    return 2;
  }

  // Stop the child's main thread (the JS thread) and arm the watchpoints on it only.
  if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_EXITKILL) != 0) unavailable("PTRACE_SEIZE");
  if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0) unavailable("PTRACE_INTERRUPT");
  int status;
  if (waitpid(pid, &status, __WALL) < 0 || !WIFSTOPPED(status)) die("waitpid for the interrupt");
  const uintptr_t reg = mapping_start(pid, path) + offset;
  poke_debug_reg(pid, 0, reg);
  poke_debug_reg(pid, 1, reg + width - 1);
  poke_debug_reg(pid, 2, reg - 1);
  poke_debug_reg(pid, 3, reg + width);
  // L0..L3 enabled; R/W = 11 (data reads and writes), LEN = 00 (one byte) for each.
  poke_debug_reg(pid, 7, 0x55UL | (3UL << 16) | (3UL << 20) | (3UL << 24) | (3UL << 28));
  if (ptrace(PTRACE_CONT, pid, 0, 0) != 0) die("PTRACE_CONT");
  if (write(to_child[1], "go\n", 3) != 3) die("write go");

  unsigned long traps[16] = {0};
  for (;;) {
    if (waitpid(pid, &status, __WALL) < 0) {
      if (errno == EINTR) continue;
      die("waitpid");
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) break;
    if (!WIFSTOPPED(status)) continue;
    int sig = WSTOPSIG(status);
    const int event = status >> 16;
    if (event == PTRACE_EVENT_STOP) {
      sig = 0;  // a group-stop or an interrupt: just resume
    } else if (sig == SIGTRAP) {
      const unsigned long dr6 = ptrace(PTRACE_PEEKUSER, pid, DEBUG_REG(6), 0);
      if (dr6 & 0xf) {
        traps[dr6 & 0xf]++;
        poke_debug_reg(pid, 6, 0);
        sig = 0;
      }
    }
    ptrace(PTRACE_CONT, pid, 0, sig);
  }

  // The child's last line of output is its report.
  char last[65536] = "null";
  while (fgets(line, sizeof line, child_out)) {
    line[strcspn(line, "\n")] = 0;
    if (line[0]) snprintf(last, sizeof last, "%s", line);
  }
  printf("{\"traps\":{");
  const char* sep = "";
  for (int bits = 1; bits < 16; bits++) {
    if (traps[bits]) {
      printf("%s\"%d\":%lu", sep, bits, traps[bits]);
      sep = ",";
    }
  }
  printf("},\"child\":%s,\"status\":%d}\n", last, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return 0;
}
