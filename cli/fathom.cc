// The fathom binary: dispatches to a subcommand.
#include <cstring>
#include <iostream>
#include <string>

#include "absl/synchronization/mutex.h"
#include "cli/commands.h"
#include "cli/common.h"
#if __has_include("cli/grade_command.h")
#include "cli/grade_command.h"
#include "cli/merge_command.h"
#define FATHOM_HAVE_GRADE 1
#endif
#ifdef FATHOM_HAVE_EVAL
#include "cli/eval_command.h"
#endif
#ifdef FATHOM_HAVE_REPORT
#include "cli/report_command.h"
#endif
#if __has_include("cli/serve_command.h")
#include "cli/serve_command.h"
#define FATHOM_HAVE_SERVE 1
#endif

namespace {

constexpr char kUsage[] =
    "usage: fathom <command> [flags]\n"
    "\n"
    "commands:\n"
    "  grade    grade a samples file against a problem set (human-eval / EvalPlus drop-in)\n"
    "  prepare  measure a problem set's time limits and expected outputs once, for shards\n"
    "  merge    join the shards of a grade or eval run (results files, run directories)\n"
    "  eval     score saved completions on GPT-Fathom's benchmarks (run directory, report)\n"
    "  report   draw runs and grader results as one HTML page (+ Markdown): tables, charts\n"
    "  compare  run A vs run B: deltas with paired bootstrap CIs, the seesaw, flipped items\n"
    "  serve    the gRPC grading service (fathom.v1.Grader) for harnesses and RL loops\n"
    "  run      run one program in the sandbox and print what happened\n"
    "  runtimes list the language runtimes and their versions; --self-test checks them\n"
    "  doctor   show which isolation layers and runtimes this host supports\n"
    "  version  print the version\n"
    "\n"
    "`fathom <command> --help` describes each command's flags.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace fathom::cli;
  // Debian builds Abseil without NDEBUG, so every absl::Mutex (gRPC makes and destroys
  // several per call) feeds a global lock-order graph for deadlock detection: 3% of a
  // busy `fathom serve`'s CPU. The tests keep it; the tool does not need it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string cmd = argv[1];
  if (cmd == "run") return RunMain(argc - 1, argv + 1);
  if (cmd == "doctor") return DoctorMain(argc - 1, argv + 1);
  if (cmd == "runtimes") return RuntimesMain(argc - 1, argv + 1);
#ifdef FATHOM_HAVE_GRADE
  if (cmd == "grade") return GradeMain(argc - 1, argv + 1);
  if (cmd == "prepare") return PrepareMain(argc - 1, argv + 1);
  if (cmd == "merge") return MergeMain(argc - 1, argv + 1);
#endif
#ifdef FATHOM_HAVE_EVAL
  if (cmd == "eval") return EvalMain(argc - 1, argv + 1);
#endif
#ifdef FATHOM_HAVE_REPORT
  if (cmd == "report") return ReportMain(argc - 1, argv + 1);
  if (cmd == "compare") return CompareMain(argc - 1, argv + 1);
#endif
#ifdef FATHOM_HAVE_SERVE
  if (cmd == "serve") return ServeMain(argc - 1, argv + 1);
#endif
  if (cmd == "version" || cmd == "--version") {
    std::cout << "fathom " << kFathomVersion << "\n";
    return kExitOk;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    std::cout << kUsage;
    return kExitOk;
  }
  std::cerr << "fathom: unknown command '" << cmd << "'\n" << kUsage;
  return kExitUsage;
}
