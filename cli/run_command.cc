// `fathom run`: runs one program in the sandbox and prints its RunResult.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/flags.h"
#include "absl/strings/str_join.h"
#include "grader/formats/utf8.h"
#include "grader/pipeline/language.h"

namespace fathom::cli {
namespace {

constexpr char kUsage[] =
    "usage: fathom run [--language L] [--zygote] [--repeat N] [--limit key=value ...] [--json]\n"
    "                  [--stdin FILE] [--require LAYER ...] [--policies DIR] FILE|-\n"
    "Runs one program in the sandbox and prints what happened. The runtime comes from\n"
    "the file's extension (prog.c, prog.cpp, prog.sh, prog.py; `fathom runtimes` lists\n"
    "them) unless --language (or --runtime) names one; stdin (-) is Python by default.\n"
    "A compiled language is compiled first, in the sandbox under its compile profile; a\n"
    "program that does not compile prints the compile run and exits 1.\n"
    "Exits 0 whenever the sandbox did its job, whatever the program did; 2 for usage or\n"
    "sandbox errors.\n";

bool ReadAll(const std::string& path, std::string* out) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    ss << in.rdbuf();
  }
  *out = ss.str();
  return true;
}

void PrintTable(const sandbox::RunResult& r) {
  auto row = [](const std::string& k, const std::string& v) {
    std::string key = k;
    key.resize(18, ' ');
    std::cout << key << v << "\n";
  };
  row("status", std::string(sandbox::RunStatusName(r.status)));
  if (r.exit_code >= 0) row("exit_code", absl::StrCat(r.exit_code));
  if (r.signal > 0) row("signal", absl::StrCat(r.signal, " (", strsignal(r.signal), ")"));
  if (r.syscall >= 0) {
    row("syscall", absl::StrCat(r.syscall, r.syscall_name.empty() ? "" : " (",
                                r.syscall_name, r.syscall_name.empty() ? "" : ")"));
  } else if (r.status == sandbox::RunStatus::kSyscallViolation) {
    row("syscall", "unknown");
  }
  row("cpu_ms", absl::StrCat(r.cpu_ms));
  row("wall_ms", absl::StrCat(r.wall_ms));
  row("max_rss_kb", absl::StrCat(r.max_rss_kb));
  std::string layers;
  for (const auto& n : r.layers.Names()) absl::StrAppend(&layers, layers.empty() ? "" : " ", n);
  row("layers", layers.empty() ? "(none)" : layers);
  for (auto [name, data, cut] : {std::tuple{"stdout", &r.stdout_data, r.stdout_truncated},
                                 std::tuple{"stderr", &r.stderr_data, r.stderr_truncated}}) {
    row(name, absl::StrCat(data->size(), " bytes", cut ? " (truncated)" : ""));
    if (!data->empty()) {
      std::string shown = grader::SanitizeUtf8(data->substr(0, 4096));
      std::cout << shown << (shown.back() == '\n' ? "" : "\n");
      if (data->size() > 4096) std::cout << "... (" << data->size() - 4096 << " more bytes)\n";
    }
  }
}

}  // namespace

int RunMain(int argc, char** argv) {
  Flags flags;
  flags.Value("language", "runtime from the policy (default: by the file's extension)");
  flags.Value("runtime", "the same as --language");
  flags.Value("limit", "override a limit, e.g. cpu_time_ms=1000", true);
  flags.Value("stdin", "file given to the program as stdin (default /dev/null)");
  flags.Value("require", "fail unless this isolation layer is active", true);
  flags.Value("policies", "policy directory (default: next to the binary)");
  flags.Bool("json", "print one JSON object");
  flags.Bool("zygote", "run it in a child of a warm zygote, as `fathom grade` does");
  flags.Value("repeat", "run it N times (with --json: one object per run)");
  flags.Bool("help", "show this help");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    PrintError("run", absl::StrCat(s.message(), "\n", kUsage));
    return kExitUsage;
  }
  if (flags.GetBool("help")) {
    std::cout << kUsage << flags.Help();
    return kExitOk;
  }
  if (flags.positionals().size() != 1) {
    PrintError("run", absl::StrCat("expected exactly one program file (or -)\n", kUsage));
    return kExitUsage;
  }
  std::string program;
  if (!ReadAll(flags.positionals()[0], &program)) {
    PrintError("run", absl::StrCat("cannot read ", flags.positionals()[0]));
    return kExitUsage;
  }
  absl::StatusOr<grader::Policy> policy = LoadPolicyOrDefault(flags.Get("policies"));
  if (!policy.ok()) {
    PrintError("run", std::string(policy.status().message()));
    return kExitUsage;
  }
  const std::string& path = flags.positionals()[0];
  const std::string named = flags.Get("language", flags.Get("runtime"));
  absl::StatusOr<const grader::RuntimePolicy*> rt =
      !named.empty() ? policy->Runtime(named)
      : path == "-"  ? policy->Runtime("python")
                     : policy->RuntimeForFile(path);
  if (!rt.ok()) {
    PrintError("run", std::string(rt.status().message()));
    return kExitUsage;
  }
  sandbox::Limits limits = (*rt)->limits;
  if (absl::Status s = ApplyLimitFlags(flags.GetAll("limit"), limits); !s.ok()) {
    PrintError("run", std::string(s.message()));
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> sb =
      MakeSandbox(*policy, flags.GetAll("require"));
  if (!sb.ok()) {
    PrintError("run", absl::StrCat(sb.status().message(),
                                   "\n(run `fathom doctor` to see what this host allows)"));
    return kExitUsage;
  }
  if (absl::Status s = grader::CheckRuntimeLayers(**rt, (*sb)->active_layers()); !s.ok()) {
    PrintError("run", std::string(s.message()));
    return kExitUsage;
  }
  absl::StatusOr<grader::PreparedRuntime> prepared = grader::PrepareRuntime(
      *policy, (*rt)->name, (*sb)->active_layers().Has(sandbox::Layer::kSeccomp));
  if (!prepared.ok()) {
    PrintError("run", std::string(prepared.status().message()));
    return kExitUsage;
  }
  if (std::vector<std::string> missing = grader::MissingToolchainPaths(**rt); !missing.empty()) {
    PrintError("run", absl::StrCat("runtime '", (*rt)->name, "' is not installed (missing ",
                                   absl::StrJoin(missing, ", "), "); install the Debian "
                                   "packages ", absl::StrJoin((*rt)->packages, " ")));
    return kExitUsage;
  }
  std::shared_ptr<const grader::Language> language = grader::MakeLanguage(*prepared);
  sandbox::RunSpec spec;
  if (std::optional<grader::CompileStep> step = language->Compile(program)) {
    absl::StatusOr<grader::CompileOutcome> built =
        grader::CompileProgram(**sb, *std::move(step), nullptr);
    if (!built.ok()) {
      PrintError("run", absl::StrCat("sandbox error while compiling: ", built.status().message(),
                                     "\n(run `fathom doctor`; this is our failure, not the "
                                     "program's)"));
      return kExitUsage;
    }
    if (!built->ok()) {
      if (flags.GetBool("json")) {
        nlohmann::json j{{"status", "compile_error"},
                         {"compile", built->error},
                         {"diagnostics", built->diagnostics},
                         {"compile_cpu_ms", built->cpu_ms}};
        std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      } else {
        std::cout << "status            compile_error (" << built->error << ")\n"
                  << "compile_cpu_ms    " << built->cpu_ms << "\n"
                  << built->diagnostics;
      }
      return kExitSandboxErrors;
    }
    if (!flags.GetBool("json")) {
      std::cout << "compiled          " << built->artefact->bytes.size() << " bytes in "
                << built->cpu_ms << " ms of CPU\n";
    }
    spec = language->RunSpecFor("", built->artefact.get(), limits);
  } else {
    spec = language->RunSpecFor(std::move(program), nullptr, limits);
  }
  if (flags.Has("stdin")) {
    spec.has_stdin = true;
    if (!ReadAll(flags.Get("stdin"), &spec.stdin_data)) {
      PrintError("run", absl::StrCat("cannot read --stdin ", flags.Get("stdin")));
      return kExitUsage;
    }
  }
  RunnerChoice runner = MakeRunner(**sb, *prepared, 1, flags.GetBool("zygote"));
  if (flags.GetBool("zygote") && runner.zygote == nullptr) {
    PrintError("run", absl::StrCat("--zygote: programs would run in ", runner.description));
    return kExitUsage;
  }
  int repeat = 1;
  if (flags.Has("repeat") && (!absl::SimpleAtoi(flags.Get("repeat"), &repeat) || repeat < 1)) {
    PrintError("run", "--repeat: expected a positive integer");
    return kExitUsage;
  }
  for (int i = 0; i < repeat; ++i) {
    absl::StatusOr<sandbox::RunResult> result = runner.runner->Run(spec);
    if (!result.ok()) {
      PrintError("run", absl::StrCat("sandbox error: ", result.status().message(),
                                     "\n(run `fathom doctor`; this is our failure, not the "
                                     "program's)"));
      return kExitUsage;
    }
    if (flags.GetBool("json")) {
      // RunResultJson's text is valid UTF-8 already; `replace` only keeps a bug from
      // turning into an abort.
      std::cout << RunResultJson(*result).dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace)
                << "\n";
    } else {
      PrintTable(*result);
    }
  }
  return kExitOk;
}

}  // namespace fathom::cli
