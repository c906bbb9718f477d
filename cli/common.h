// Pieces every subcommand shares: loading the policy named by --policies, creating the
// sandbox with --require'd layers, rendering a RunResult.
#ifndef FATHOM_CLI_COMMON_H_
#define FATHOM_CLI_COMMON_H_

#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/flags.h"
#include "grader/iomode/io_mode.h"
#include "grader/policy/policy.h"
#include "nlohmann/json.hpp"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"
#include "sandbox/zygote.h"

namespace fathom::cli {

inline constexpr char kFathomVersion[] = "0.1.0";

// Exit codes shared by the subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitSandboxErrors = 1;
inline constexpr int kExitUsage = 2;

// Loads `dir`, or DefaultPolicyDir() when empty.
absl::StatusOr<grader::Policy> LoadPolicyOrDefault(const std::string& dir);

// Creates the sandbox with the policy's wanted layers; every name in `require` (layer
// names, or "namespaces" for all six) must be active or this fails closed.
// `prestarted_inits`: SandboxOptions::prestarted_inits. Worth it only where many
// programs run on the fresh path (grade and serve with --no-zygote); a one-shot command
// would start one for nothing.
absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> MakeSandbox(
    const grader::Policy& policy, const std::vector<std::string>& require,
    int prestarted_inits = 0);

// What runs the programs of one runtime: a ZygoteRunner when the runtime has a zygote
// (policy `zygote_preload:`), `use_zygote` is set and the sandbox has the namespaces it
// needs; otherwise the sandbox itself (fresh interpreters). `description` says which and
// why, for the log and the summary. The sandbox must outlive it.
struct RunnerChoice {
  std::unique_ptr<sandbox::ZygoteRunner> zygote;  // null on the fresh path
  sandbox::Runner* runner = nullptr;              // zygote.get() or the sandbox
  std::string description;
};
RunnerChoice MakeRunner(sandbox::Sandbox& sb, const grader::PreparedRuntime& runtime,
                        int slots, bool use_zygote);

// Applies every "key=value" of --limit to `limits`; InvalidArgument names the bad one.
absl::Status ApplyLimitFlags(const std::vector<std::string>& key_values,
                             sandbox::Limits& limits);

// I/O mode's flags, shared by `fathom grade` and `fathom serve` so that both read them
// the same way: --mode, --test-details, --min-time-limit, --gt-time-limit-factor.
void DeclareIoModeFlags(Flags& flags);
// Reads them (defaults when absent); InvalidArgument names the bad flag.
absl::Status ParseIoModeFlags(const Flags& flags, grader::GradeMode* mode,
                              grader::IoSettings* settings);

// The RunResult as one JSON object with the field names of sandbox/run_spec.h. Output
// that is not valid UTF-8 (grader/utf8.h) is given as text with U+FFFD and, exactly, as
// stdout_base64 / stderr_base64.
nlohmann::json RunResultJson(const sandbox::RunResult& r);

// Prints "fathom <cmd>: <message>" to stderr.
void PrintError(const std::string& cmd, const std::string& message);

// A stream that writes every line to `out` behind "fathom <cmd>: ": how a subcommand
// names itself in the lines the grader logs (the grader knows no command). Unbuffered,
// so that it interleaves with direct writes to `out`; `out` must outlive it. Used by
// one thread at a time (the grader serialises its log lines).
class CommandLog final : public std::ostream {
 public:
  CommandLog(std::ostream& out, const std::string& cmd);

 private:
  class Buf final : public std::streambuf {
   public:
    Buf(std::ostream& out, std::string prefix) : out_(out), prefix_(std::move(prefix)) {}

   protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int sync() override;

   private:
    std::ostream& out_;
    const std::string prefix_;
    bool line_start_ = true;
  };
  Buf buf_;
};

}  // namespace fathom::cli

#endif  // FATHOM_CLI_COMMON_H_
