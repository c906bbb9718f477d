// What this machine's kernel charges for the steps every zygote run takes, with no
// sandbox, no Python and no gRPC (a benchmark, not a test: it asserts nothing). It is the
// floor under `serve_bench`'s CPU per request and `fathom grade --trace-phases`' fork and
// exit phases: a zygote's child cannot cost less than forking and tearing down an address
// space the zygote's size, plus a copy-on-write fault for each page the program writes.
//
//   fork + exit   a process with N MiB of private memory, all touched (as a warm
//                 interpreter's heap is), forks a child that exits at once: the parent's
//                 CPU per fork (copying the page tables) and the child's (tearing them
//                 down), from getrusage.
//   COW fault     the same child writing one byte in each of K distinct pages first:
//                 its extra CPU per page.
//   huge pages    the 10 MiB rows again with the memory in 2 MiB transparent huge pages
//                 (MADV_COLLAPSE), as the zygote keeps its heap and arenas
//                 (sandbox/zygote_memory.c); a child's write splits the one it hits.
//   wake-up       a one-byte pipe round trip between two processes, both on one CPU
//                 (two context switches) and on two (two cross-CPU wake-ups).
//
//   build/bench/fork_floor [--forks 2000]
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

double CpuUs(const rusage& r) {
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

struct ForkCost {
  double parent_us = 0;  // per fork
  double child_us = 0;   // per child, its exit included
};

// `forks` children of a process with `mib` MiB touched, in huge pages if `huge` (false
// when the kernel cannot); each writes `writes` pages.
ForkCost MeasureFork(size_t mib, int writes, int forks, bool* huge = nullptr) {
  constexpr size_t kHuge = 2 << 20;
  const size_t bytes = mib << 20;
  char* raw = static_cast<char*>(mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (raw == MAP_FAILED) {
    std::perror("mmap");
    std::exit(1);
  }
  char* heap = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(raw) + kHuge - 1) &
                                       ~(kHuge - 1));
  std::memset(heap, 1, bytes);
  if (huge != nullptr && *huge) *huge = madvise(heap, bytes, 25 /* MADV_COLLAPSE */) == 0;
  const size_t pages = bytes / 4096;
  rusage self0, self1, kids0, kids1;
  getrusage(RUSAGE_SELF, &self0);
  getrusage(RUSAGE_CHILDREN, &kids0);
  for (int i = 0; i < forks; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      // Distinct pages spread over the whole heap (7 is prime to the page count).
      for (int w = 0; w < writes; ++w) heap[(static_cast<size_t>(w) * 7 % pages) * 4096] = 2;
      _exit(0);
    }
    if (pid < 0) {
      std::perror("fork");
      std::exit(1);
    }
    waitpid(pid, nullptr, 0);
  }
  getrusage(RUSAGE_SELF, &self1);
  getrusage(RUSAGE_CHILDREN, &kids1);
  munmap(raw, bytes + kHuge);
  return {(CpuUs(self1) - CpuUs(self0)) / forks, (CpuUs(kids1) - CpuUs(kids0)) / forks};
}

// Microseconds per pipe round trip; `cpu_a`/`cpu_b` < 0: not pinned.
double RoundTripUs(int cpu_a, int cpu_b, int trips) {
  int ab[2], ba[2];
  if (pipe(ab) != 0 || pipe(ba) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  auto pin = [](int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
  };
  const pid_t pid = fork();
  if (pid == 0) {
    pin(cpu_b);
    char c;
    for (int i = 0; i < trips; ++i) {
      if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1) _exit(1);
    }
    _exit(0);
  }
  cpu_set_t old;
  sched_getaffinity(0, sizeof(old), &old);
  pin(cpu_a);
  char c = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < trips; ++i) {
    if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) break;
  }
  const auto t1 = std::chrono::steady_clock::now();
  waitpid(pid, nullptr, 0);
  sched_setaffinity(0, sizeof(old), &old);
  for (int fd : {ab[0], ab[1], ba[0], ba[1]}) close(fd);
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / trips;
}

}  // namespace

int main(int argc, char** argv) {
  int forks = 2000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--forks") forks = std::atoi(argv[i + 1]);
  }
  if (forks <= 0) {
    std::fprintf(stderr, "usage: fork_floor [--forks N>0]\n");
    return 2;
  }
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("fork_floor: %d forks per row, load average %.2f\n", forks, load[0]);
  std::printf("%-34s %14s %14s\n", "private memory, pages written", "parent us/fork",
              "child us/exit");
  auto row = [](size_t mib, int writes, const ForkCost& c, const char* how = "") {
    const std::string label = std::to_string(mib) + " MiB" + how + ", " + std::to_string(writes);
    std::printf("%-34s %14.0f %14.0f\n", label.c_str(), c.parent_us, c.child_us);
  };
  for (size_t mib : {1, 5, 20}) row(mib, 0, MeasureFork(mib, 0, forks));
  // The two 10 MiB rows back to back: their difference is the writes' cost.
  const int writes = 250;
  const ForkCost none = MeasureFork(10, 0, forks);
  const ForkCost some = MeasureFork(10, writes, forks);
  row(10, 0, none);
  row(10, writes, some);
  std::printf("%-34s %29.2f\n", "  COW fault, us per page written",
              (some.child_us - none.child_us) / writes);
  bool huge = true;
  const ForkCost huge_none = MeasureFork(10, 0, forks, &huge);
  const ForkCost huge_some = MeasureFork(10, writes, forks, &huge);
  if (huge) {
    row(10, 0, huge_none, " in huge pages");
    row(10, writes, huge_some, " in huge pages");
  } else {
    std::printf("(no huge-page rows: this kernel does not collapse on request)\n");
  }
  const int trips = 20000;
  std::printf("%-34s %29.1f\n", "pipe round trip us, one CPU", RoundTripUs(0, 0, trips));
  if (sysconf(_SC_NPROCESSORS_ONLN) > 1) {
    std::printf("%-34s %29.1f\n", "pipe round trip us, two CPUs", RoundTripUs(0, 1, trips));
  }
  return 0;
}
