// The fathom binary: dispatches to a subcommand.
#include <cstring>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/common.h"
#if __has_include("cli/grade_command.h")
#include "cli/grade_command.h"
#define FATHOM_HAVE_GRADE 1
#endif
#ifdef FATHOM_HAVE_EVAL
#include "cli/eval_command.h"
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
    "  eval     score saved completions on GPT-Fathom's benchmarks (run directory, report)\n"
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
#endif
#ifdef FATHOM_HAVE_EVAL
  if (cmd == "eval") return EvalMain(argc - 1, argv + 1);
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
