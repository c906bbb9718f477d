// The fast path for interpreted runtimes (DESIGN section 3): a warm interpreter, started
// once per slot inside the sandbox, forks one child per program instead of exec'ing a
// fresh interpreter for each.
//
// Where each layer lives, and why sharing it between the programs of a slot is safe:
//   user namespace   shared. Every program runs as the same unprivileged uid as on the
//                    fresh path; it has no capability. The zygote keeps CAP_SYS_ADMIN in
//                    this namespace only (for the scratch mounts) and is PID 1, so the
//                    program can neither signal it (a namespace's init ignores signals it
//                    has no handler for) nor trace it (seccomp kills ptrace).
//   pid namespace    shared. The program cannot create processes (seccomp), so nothing of
//                    it outlives its reaping; /proc shows the zygote and the program only.
//   net, uts         shared: the network namespace is empty and sockets are refused by
//                    seccomp; the hostname cannot be changed without a capability.
//   mount            shared, with nothing in it a program can write that outlives it. The
//                    root is read-only; /tmp (the cwd, $HOME, $TMPDIR) and /dev/shm are two
//                    tmpfs the zygote mounts once, each child resizes (remount) to its own
//                    limit, and the zygote empties after reaping the child and before
//                    reporting it (replacing the mount when a tree is too deep or will not
//                    go). No mount namespace per program: its teardown at exit waited an
//                    expedited RCU grace period on every run's critical path
//                    (zygote_child.c, empty_scratch). A program cannot mount or unmount.
//   ipc              per program: the child unshares it, so no SysV/POSIX IPC object
//                    survives into the next program; or the zygote's, shared, when the
//                    filter refuses every call that creates an IPC object
//                    (per_program_ipc_namespace).
//   cgroup           per slot: the zygote and its one child at a time share the slot's
//                    cgroup, so nothing migrates per program. The memory limit is the
//                    program's plus the zygote's own charge measured at start; CPU for the
//                    limit is the cgroup's delta; the program's own cpu_ms and max_rss_kb
//                    come from its rusage. The zygote is shielded from the OOM killer.
//   rlimits, seccomp per program, set by the child after its setup, seccomp last (the
//                    filter is the runtime's, compiled with every exec denied). Split
//                    (sandbox/seccomp.h, ZygoteSeccomp): the zygote installs its part
//                    once after its imports, so it too runs confined, and each child adds
//                    the short rest; the kernel then compiles 300 instructions once per
//                    zygote instead of once per program.
// The program text reaches the child through a pipe after the fork: it never passes
// through the zygote, so the next program cannot find it in memory it inherits.
// Differences from a fresh interpreter that a program can observe: the modules the zygote
// imported (or defined: preload_sources) are already in sys.modules, and the hash seed
// (PYTHONHASHSEED) is the same for every program of a zygote (set iteration order is
// stable within a zygote's life), and the program runs with the zygote's own frames
// under it (its script, main, run_usual, run_program): it can recurse 5 levels less
// before RecursionError (a function calling itself reaches depth 993, against 998 in a
// fresh interpreter at the default limit of 1000). Entering the child's Python from C
// instead of returning through ctypes would save about 10 copied pages, but adds 3
// more levels and changed which call the limit hits in a fathom-mini sample (its
// verdict's message), so it was not done.
//
// What a child costs is mostly the pages it copies: each write to a page it still shares
// with the zygote (a reference count, an allocator's free list, a counter in a code
// object) copies that page, about 2.5 us each on the development VM, and a Python
// statement touches several. So the zygote does once, before it forks, all it can for the
// programs to come: it imports, defines the preload sources (the grader's harness),
// builds the std streams and, for the usual request (usual_script), sets sys.argv,
// sys.orig_argv and __main__; the child's own steps are C (zygote_child.c) or a few lines
// of Python (python_zygote.py, run_usual). `fathom run --trace-phases` and `fathom grade
// --trace-phases` show each phase's CPU time and page faults (RunTrace in run_spec.h).
// The rest is the kernel's: a fork copies, and an exit tears down, a page-table entry for
// each 4 KiB of the zygote's memory. So the zygote keeps its heap and CPython's arenas
// in 2 MiB huge pages, one entry each (zygote_memory.c; the library is preloaded into
// its interpreter for that, and the zygote takes it out of LD_PRELOAD before anything
// could see it): fork and exit about 0.15 ms cheaper per run on the development VM. The
// interpreter's own code and constants move into huge pages too, where the executable is
// not position-independent (Debian's python3): no child faults on them.
//
// A zygote that dies is restarted; a program whose run it lost is run again once, then
// reported as a sandbox error (never as the program's failure).
//
// Thread safety: Run() may be called from many threads; each call takes a free slot (at
// most `slots` run at once; more callers wait for one), the one on the caller's CPU
// first when the slots are pinned (ZygoteOptions::pin_slots).
#ifndef FATHOM_SANDBOX_ZYGOTE_H_
#define FATHOM_SANDBOX_ZYGOTE_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/process_util.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

namespace fathom::sandbox {

// The Python zygote's source (sandbox/python_zygote.py, embedded at build time).
extern const char kPythonZygoteSource[];
// The child-side layers as a shared library (sandbox/zygote_child.c, embedded at build
// time), written into each zygote's work dir as kZygoteChildSoName.
extern const unsigned char kZygoteChildSo[];
extern const size_t kZygoteChildSoSize;
inline constexpr char kZygoteChildSoName[] = "fathom_zygote_child.so";
// The zygote's part of a split seccomp filter, in its work dir when there is one.
inline constexpr char kZygoteFilterName[] = "fathom_zygote_filter.bpf";
// ZygoteOptions::preload_sources, in its work dir as <prefix><name>.py.
inline constexpr char kZygotePreloadPrefix[] = "fathom_preload_";

struct ZygoteOptions {
  // The command a fresh run would start: the interpreter and its flags (e.g.
  // /usr/bin/python3 -I -B). A RunSpec is served by the zygote when its argv is this
  // prefix followed by a script that is one of its files.
  std::vector<std::string> command;
  std::vector<std::string> env;       // the zygote's own environment (the runtime's)
  std::vector<std::string> ro_binds;  // must equal the specs' ro_binds
  // The filter fresh runs of this runtime use (specs must carry exactly this one), and
  // the same profile compiled with every exec denied, which the children install.
  std::shared_ptr<const SeccompFilter> fresh_filter;
  std::shared_ptr<const SeccompFilter> child_filter;
  // With a split filter (CompileZygoteSeccomp): the part each zygote installs before it
  // serves a program; child_filter is then the part each child adds. Empty: the children
  // install child_filter whole.
  std::string zygote_filter_bpf;
  std::vector<std::string> preload;  // modules imported once by the zygote
  // Modules the zygote defines from source text once, after `preload` (name, source),
  // each in sys.modules under its name: code every program of the runtime starts with
  // (the grader's harness, grader/pipeline/program.h), which a program then finds ready
  // instead of compiling it and building its classes again. Such a module must import
  // nothing beyond `preload` and change nothing else a program can see. One that fails
  // is left out (its programs define it themselves, as a fresh interpreter does).
  std::vector<File> preload_sources;
  // The script most programs run as (the runtime's file name, e.g. main.py): for specs
  // that run it with the zygote's own environment and no other argument, the zygote has
  // the interpreter's state (argv, std streams, __main__) ready before it forks, and the
  // child only runs the script. Empty: every child sets that state up itself.
  std::string usual_script;
  // Each program gets its own IPC namespace. Needless when the program's filter refuses
  // every call that creates a SysV IPC object or a POSIX message queue (then none can
  // outlive a program; MakeZygoteOptions decides from the profile), and creating and
  // tearing one down is a measurable part of a trivial program's cost.
  bool per_program_ipc_namespace = true;
  int slots = 1;                     // zygotes, i.e. programs run at once
  // Slot k's zygote stays on one CPU (CpusToPin in process_util.h: only when the slots
  // take every CPU this process may use, as serve and grade do by default; it pins
  // itself, sandbox/zygote_child.c). A caller gets the free slot on the CPU it runs on
  // first, and waits for its run on that slot's CPU. So a program is forked, set up,
  // reaped and reported on one CPU, whose caches hold the zygote's memory, and no
  // hand-over between the caller, the zygote and its child wakes another CPU: on the
  // development VM such a wake-up costs ten times one on the same CPU (bench/fork_floor).
  // The program itself is not pinned: before it runs, the child takes back every CPU
  // the zygote had, which a fresh run of it would have. False: the scheduler places
  // them all.
  bool pin_slots = true;
};

struct ZygoteStats {
  int64_t runs = 0;           // programs run by a zygote
  int64_t fresh_runs = 0;     // specs a zygote cannot serve, run by the fresh path
  int64_t restarts = 0;       // zygotes started again after dying
  int64_t retries = 0;        // programs run again after their zygote lost them
  int64_t peak_rss_kb = 0;    // the largest VmHWM seen of any zygote
};

class ZygoteRunner final : public Runner {
 public:
  // Starts the slots' zygotes through `sandbox` (which must outlive the runner and
  // serves what a zygote cannot). FailedPrecondition when the sandbox lacks the user, pid
  // or mount namespace (callers then use the fresh path and say so).
  static absl::StatusOr<std::unique_ptr<ZygoteRunner>> Create(Sandbox* sandbox,
                                                              ZygoteOptions options);
  ~ZygoteRunner() override;

  absl::StatusOr<RunResult> Run(const RunSpec& spec) override;
  LayerSet active_layers() const override { return sandbox_->active_layers(); }

  // True when `spec` would be run by a zygote (the rest go to the fresh path).
  bool Serves(const RunSpec& spec) const;
  ZygoteStats stats();
  // Host pids of the live zygotes (for tests).
  std::vector<pid_t> zygote_pids();

 private:
  struct Slot;
  ZygoteRunner(Sandbox* sandbox, ZygoteOptions options);
  // The service spec of a slot's zygote, controlled through `control_fd` and pinned to
  // `cpu` (-1: not pinned).
  ServiceSpec ServiceSpecFor(int control_fd, int cpu) const;
  absl::Status StartSlot(Slot& slot);  // LaunchSlot, then AwaitSlot
  // Starts the slot's zygote; AwaitSlot waits for it to be ready (its imports done).
  absl::Status LaunchSlot(Slot& slot);
  absl::Status AwaitSlot(Slot& slot);
  // Waits for a free slot and marks it busy; ReleaseSlot gives it back.
  Slot* AcquireSlot();
  void ReleaseSlot(Slot* slot);
  // Runs `spec` in `slot`, restarting a zygote that lost it and trying once more.
  absl::StatusOr<RunResult> RunWithRetry(Slot& slot, const RunSpec& spec);
  // One attempt. *lost: the zygote died or broke the protocol (the caller restarts it).
  absl::StatusOr<RunResult> RunInSlot(Slot& slot, const RunSpec& spec, bool* lost);
  void NotePeakRss(Slot& slot);

  Sandbox* sandbox_;
  ZygoteOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Slot>> slots_;  // guarded by mu_ (busy flags)
  ZygoteStats stats_;                          // guarded by mu_
};

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_ZYGOTE_H_
