// Shared subcommand helpers (see common.h).
#include "cli/common.h"

#include <cmath>
#include <cstring>
#include <iostream>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grader/formats/utf8.h"
#include "grader/pipeline/phase_trace.h"
#include "grader/pipeline/program.h"

namespace fathom::cli {

absl::StatusOr<grader::Policy> LoadPolicyOrDefault(const std::string& dir) {
  return grader::LoadPolicy(dir.empty() ? grader::DefaultPolicyDir() : dir);
}

absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> MakeSandbox(
    const grader::Policy& policy, const std::vector<std::string>& require,
    int prestarted_inits) {
  sandbox::SandboxOptions options;
  options.wanted = policy.wanted_layers;
  options.prestarted_inits = prestarted_inits;
  for (const std::string& name : require) {
    if (name == "namespaces") {
      options.required.AddAll(sandbox::LayerSet::Namespaces());
      continue;
    }
    sandbox::Layer layer;
    if (!sandbox::ParseLayer(name, &layer)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--require ", name, ": unknown layer (known: namespaces, ",
          absl::StrJoin(sandbox::LayerSet::All().Names(), ", "), ")"));
    }
    options.required.Add(layer);
  }
  // A required layer the policy switched off cannot be satisfied either.
  sandbox::LayerSet off = options.required.Minus(options.wanted);
  if (!off.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("required layers switched off by the policy in ", policy.dir, ": ",
                     absl::StrJoin(off.Names(), ", ")));
  }
  return sandbox::Sandbox::Create(options);
}

absl::Status ApplyLimitFlags(const std::vector<std::string>& key_values,
                             sandbox::Limits& limits) {
  for (const std::string& kv : key_values) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("--limit ", kv, ": expected key=value"));
    }
    if (absl::Status s = sandbox::SetLimit(limits, kv.substr(0, eq), kv.substr(eq + 1));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

void DeclareIoModeFlags(Flags& flags) {
  flags.Value("mode", "auto (default): I/O mode where problems have inputs; io; assert");
  flags.Bool("test-details", "I/O mode: run every input, list every failing one");
  flags.Value("min-time-limit", "I/O mode: least CPU seconds per input (default 1)");
  flags.Value("gt-time-limit-factor",
              "I/O mode: per-input limit = factor x the canonical's CPU time (default 4)");
}

absl::Status ParseIoModeFlags(const Flags& flags, grader::GradeMode* mode,
                              grader::IoSettings* settings) {
  absl::StatusOr<grader::GradeMode> m = grader::ParseGradeMode(flags.Get("mode", "auto"));
  if (!m.ok()) return absl::InvalidArgumentError(absl::StrCat("--mode: ", m.status().message()));
  *mode = *m;
  settings->test_details = flags.GetBool("test-details");
  if (flags.Has("min-time-limit")) {
    double seconds = 0;
    if (!absl::SimpleAtod(flags.Get("min-time-limit"), &seconds) || !(seconds > 0) ||
        seconds > 3600) {
      return absl::InvalidArgumentError("--min-time-limit: expected seconds > 0");
    }
    settings->min_time_limit_ms = static_cast<int64_t>(std::llround(seconds * 1000));
  }
  if (flags.Has("gt-time-limit-factor")) {
    double factor = 0;
    if (!absl::SimpleAtod(flags.Get("gt-time-limit-factor"), &factor) || !(factor > 0) ||
        factor > 1000) {
      return absl::InvalidArgumentError("--gt-time-limit-factor: expected a number > 0");
    }
    settings->gt_time_limit_factor = factor;
  }
  return absl::OkStatus();
}

nlohmann::json RunResultJson(const sandbox::RunResult& r) {
  nlohmann::json j;
  j["status"] = std::string(sandbox::RunStatusName(r.status));
  j["exit_code"] = r.exit_code;
  j["signal"] = r.signal;
  j["syscall"] = r.syscall;
  if (r.syscall >= 0) j["syscall_name"] = r.syscall_name;
  j["cpu_ms"] = r.cpu_ms;
  j["wall_ms"] = r.wall_ms;
  j["max_rss_kb"] = r.max_rss_kb;
  // Text when the bytes are UTF-8; otherwise text with U+FFFD plus the exact bytes.
  for (auto [name, data] : {std::pair{"stdout", &r.stdout_data},
                            std::pair{"stderr", &r.stderr_data}}) {
    bool lossy = false;
    j[name] = grader::SanitizeUtf8(*data, &lossy);
    if (lossy) j[absl::StrCat(name, "_base64")] = absl::Base64Escape(*data);
  }
  j["stdout_truncated"] = r.stdout_truncated;
  j["stderr_truncated"] = r.stderr_truncated;
  j["layers"] = r.layers.Names();
  if (!r.trace.empty()) j["phases"] = grader::PhasesJson(sandbox::TracePhases(r.trace));
  return j;
}


void PrintError(const std::string& cmd, const std::string& message) {
  std::cerr << "fathom " << cmd << ": " << message << "\n";
}

RunnerChoice MakeRunner(sandbox::Sandbox& sb, const grader::PreparedRuntime& runtime,
                        int slots, bool use_zygote) {
  RunnerChoice choice;
  choice.runner = &sb;
  const grader::RuntimePolicy& policy = *runtime.policy;
  if (!policy.zygote) {
    choice.description = "fresh interpreters (the runtime has no zygote)";
    return choice;
  }
  if (!use_zygote) {
    choice.description = "fresh interpreters (--no-zygote)";
    return choice;
  }
  sandbox::ZygoteOptions opts = grader::GradingZygoteOptions(runtime, slots);
  absl::StatusOr<std::unique_ptr<sandbox::ZygoteRunner>> z =
      sandbox::ZygoteRunner::Create(&sb, std::move(opts));
  if (!z.ok()) {
    choice.description =
        absl::StrCat("fresh interpreters (no zygote: ", z.status().message(), ")");
    return choice;
  }
  choice.zygote = *std::move(z);
  choice.runner = choice.zygote.get();
  choice.description = absl::StrCat("warm zygotes (", std::max(1, slots), ")");
  return choice;
}

CommandLog::CommandLog(std::ostream& out, const std::string& cmd)
    : std::ostream(nullptr), buf_(out, absl::StrCat("fathom ", cmd, ": ")) {
  rdbuf(&buf_);
}

CommandLog::Buf::int_type CommandLog::Buf::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  const char ch = traits_type::to_char_type(c);
  return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
}

std::streamsize CommandLog::Buf::xsputn(const char* s, std::streamsize n) {
  for (std::streamsize i = 0; i < n;) {
    if (line_start_) {
      out_ << prefix_;
      line_start_ = false;
    }
    const void* nl = std::memchr(s + i, '\n', static_cast<size_t>(n - i));
    const std::streamsize end =
        nl == nullptr ? n : static_cast<const char*>(nl) - s + 1;
    out_.write(s + i, end - i);
    if (nl != nullptr) line_start_ = true;
    i = end;
  }
  return out_ ? n : 0;
}

int CommandLog::Buf::sync() {
  out_.flush();
  return out_ ? 0 : -1;
}

}  // namespace fathom::cli
