// `fathom serve`: flags -> policy, sandbox, runtimes, problem sets -> service::Server.
#include "cli/serve_command.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/common.h"
#include "cli/flags.h"
#include "grader/formats/evalplus_report.h"
#include "grader/formats/problems.h"
#include "grader/iomode/io_mode.h"
#include "grader/pipeline/grading_plan.h"
#include "grader/pipeline/result_cache.h"
#include "grader/pipeline/runtime_context.h"
#include "grader/pipeline/scheduler.h"
#include "grader/pipeline/summary.h"
#include "grader/pipeline/time_limits.h"
#include "grader/policy/policy.h"
#include "service/call_log.h"
#include "service/core.h"
#include "service/metrics.h"
#include "service/run_queue.h"
#include "service/server.h"

namespace fathom::cli {
namespace {

constexpr char kUsage[] =
    "usage: fathom serve [--listen ADDR] [--metrics-listen ADDR|off] [--workers N]\n"
    "                    [--queue N] [--problems NAME=PATH ...] [--grace SECONDS]\n"
    "                    [--timeout SECONDS] [--limit key=value ...] [--env-allow NAME ...]\n"
    "                    [--cache DIR] [--max-message-bytes N] [--max-connection-age SECONDS]\n"
    "                    [--require LAYER ...] [--policies DIR] [--no-zygote]\n"
    "                    [--mode auto|io|assert] [--test-details] [--min-time-limit S]\n"
    "                    [--gt-time-limit-factor F]\n"
    "                    [--tls-cert PEM --tls-key PEM [--client-ca PEM]] [--health-listen ADDR]\n"
    "                    [--drain-delay SECONDS]\n"
    "Serves fathom.v1.Grader (proto/fathom/v1/grader.proto) over gRPC, with grpc.health.v1\n"
    "and server reflection, and Prometheus metrics at http://METRICS-ADDR/metrics.\n"
    "Python programs run in warm zygotes (one per worker), as in `fathom grade`;\n"
    "--no-zygote starts a fresh interpreter per program.\n"
    "Time limits: Grade gives each task of a --problems set the CPU limit\n"
    "max(1 s, 1.5 x (start-up + 10 x its canonical solution's own CPU time)), measured at\n"
    "start on this machine and cached as `fathom grade` does (--cache DIR, else\n"
    "$XDG_CACHE_HOME/fathom or ~/.cache/fathom); --timeout S or --limit cpu_time_ms=N\n"
    "give every task one fixed limit instead.\n"
    "Modes, as `fathom grade --mode`: I/O mode (default for problems with inputs:\n"
    "HumanEval+, MBPP+) compares the entry point's return values on each input, outside\n"
    "the sandbox, with the canonical solution's, measured at start and cached like the\n"
    "time limits; a GradeRequest's `mode` overrides --mode per call. --mode io fails at\n"
    "start (exit 2) when a set has a task without expected outputs.\n"
    "Who may call: --tls-cert and --tls-key serve TLS; --client-ca also requires every\n"
    "client to present a certificate signed by one of its CAs (mutual TLS): other\n"
    "connections are refused in the handshake. --health-listen serves grpc.health.v1 alone\n"
    "in plaintext on a second port (Kubernetes' grpc probes do not speak TLS).\n"
    "SIGTERM drains: health NOT_SERVING at once (calls still served for --drain-delay\n"
    "seconds, while balancers that watch health move away), then GOAWAY to every client\n"
    "and the port closed (new calls go to other replicas), calls in progress get --grace\n"
    "seconds to finish, then exit 0. One JSON line per call on stderr.\n";

int Usage(const std::string& message) {
  PrintError("serve", absl::StrCat(message, "\n", kUsage));
  return kExitUsage;
}

bool ParsePositive(const std::string& text, int64_t* out) {
  return absl::SimpleAtoi(text, out) && *out > 0;
}

bool ParseSeconds(const std::string& text, int64_t* ms) {
  double s = 0;
  if (!absl::SimpleAtod(text, &s) || !(s >= 0) || s > 86400 * 7) return false;
  *ms = static_cast<int64_t>(std::llround(s * 1000));
  return true;
}

// The runtime Grade uses; null when the policy has none (Core::Create says so).
const service::ServedRuntime* GradingRuntime(const std::vector<service::ServedRuntime>& runtimes,
                                             const service::CoreOptions& core_options) {
  for (const service::ServedRuntime& r : runtimes) {
    if (r.prepared.policy->name == core_options.grade_runtime) return &r;
  }
  return nullptr;
}

// Every line the grader wrote to `messages` as one JSON `event` of `set`.
void LogMessages(const std::string& messages, const char* event, const std::string& set,
                 service::CallLog& log) {
  std::istringstream lines(messages);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) log.Event(event, {{"problem_set", set}, {"message", line}});
  }
}

// The grading setup of `set` (grading_plan.h), as `fathom grade` makes it, through
// `choice`'s runner (the one that grades): I/O mode's expected outputs for the tasks
// with inputs and, under `auto_time_limit`, every task's calibrated CPU limit (I/O mode
// or not: a request may ask for assert mode). What it does is logged as JSON events
// ("io_oracles" and "io_mode", "calibration" and "time_limits"). FailedPrecondition
// under --mode io when a task has no expected outputs.
absl::Status PrepareProblemSet(const service::ServedRuntime& grading,
                               const service::CoreOptions& core_options,
                               const RunnerChoice& choice, int workers, bool auto_time_limit,
                               service::CallLog& log, service::ServedProblemSet& set) {
  grader::SetupOptions options;
  options.limits = grading.limits;
  options.mode = core_options.mode;
  options.auto_time_limit = auto_time_limit;
  options.calibrate_io_tasks = true;
  options.cache_dir =
      core_options.cache_dir.empty() ? grader::DefaultCacheDir() : core_options.cache_dir;
  // The zygote's cpu_ms leaves out interpreter start-up: cached apart, as in fathom grade.
  options.runner_name = choice.zygote != nullptr ? "zygote" : "fresh-exec";
  options.workers = workers;
  std::ostringstream io_messages, calibration_messages;
  options.io_log = &io_messages;
  options.log = &calibration_messages;
  std::set<std::string> ids;
  for (const grader::Problem& p : set.set.problems) ids.insert(p.task_id);
  const absl::Status status = grader::PrepareGrading(set.set, ids, *choice.runner,
                                                     grading.context, options, &set.setup);
  const grader::GradingSetup& setup = set.setup;
  if (!setup.io_tasks.empty()) {
    LogMessages(io_messages.str(), "io_oracles", set.name, log);
    log.Event("io_mode",
              {{"problem_set", set.name},
               {"mode", grader::GradeModeName(core_options.mode)},
               {"io_tasks", absl::StrCat(setup.io_tasks.size() - setup.io.unusable_tasks.size())},
               {"unusable_tasks", absl::StrJoin(setup.io.unusable_tasks, ",")},
               {"note", grader::IoNote(setup.io.cached, setup.io.measure_s,
                                       setup.io.unusable_tasks.size())},
               {"cache_file", setup.io.cache_path}});
  }
  if (!status.ok() || !setup.time_limit.automatic) return status;
  LogMessages(calibration_messages.str(), "calibration", set.name, log);
  const grader::TimeLimitInfo& t = setup.time_limit;
  log.Event("time_limits", {{"problem_set", set.name},
                            {"mode", "auto"},
                            {"min_ms", absl::StrCat(t.min_ms)},
                            {"median_ms", absl::StrCat(t.median_ms)},
                            {"max_ms", absl::StrCat(t.max_ms)},
                            {"fallback_tasks", absl::StrJoin(t.fallback_tasks, ",")},
                            {"calibration", t.cached ? "cached" : "measured"},
                            {"calibration_s", absl::StrCat(t.measure_s)},
                            {"cache_file", t.cache_path}});
  return absl::OkStatus();
}

void DeclareFlags(Flags& flags) {
  flags.Value("listen", "gRPC address (default 127.0.0.1:50051; port 0 picks one)");
  flags.Value("metrics-listen", "Prometheus /metrics address (default 127.0.0.1:9464; off)");
  flags.Value("workers", "concurrent sandbox runs (default and maximum: the cores available)");
  flags.Value("queue", "runs that may wait before RESOURCE_EXHAUSTED (default 1024)");
  flags.Value("problems", "a problem set to serve, NAME=PATH (repeatable)", true);
  flags.Value("grace", "seconds calls in progress get to finish after SIGTERM (default 30)");
  flags.Value("drain-delay", "seconds between SIGTERM (health NOT_SERVING, calls still "
                             "served) and closing the port (default 0)");
  flags.Value("timeout", "per-run CPU-time ceiling in seconds (default: the policy's); also "
                        "turns per-task calibrated limits off");
  flags.Value("limit", "set a limit ceiling, e.g. memory_bytes=536870912", true);
  flags.Value("env-allow", "a variable ExecuteRequest.env may set (repeatable; default "
                           "LANG, LC_ALL, TZ)", true);
  flags.Value("cache", "content-addressed verdict cache directory kept across calls (also "
                      "holds the time-limit calibration)");
  flags.Value("max-message-bytes", "largest request accepted (default 33554432)");
  flags.Value("max-connection-age", "seconds before a connection is asked to reconnect "
                                    "(default 300)");
  flags.Value("require", "fail unless this isolation layer is active", true);
  flags.Value("policies", "policy directory (default: next to the binary)");
  flags.Bool("no-zygote", "start a fresh interpreter per program instead of forking warm zygotes");
  flags.Value("tls-cert", "PEM certificate chain of the server (TLS; with --tls-key)");
  flags.Value("tls-key", "PEM private key of --tls-cert");
  flags.Value("client-ca", "PEM CA certificates; clients must present a certificate they "
                           "signed (mutual TLS)");
  flags.Value("health-listen", "a plaintext port serving only grpc.health.v1 (default: none)");
  DeclareIoModeFlags(flags);
  flags.Bool("help", "show this help");
}

// What the flags say, before anything is loaded.
struct ServeArgs {
  service::ServerOptions server;
  service::CoreOptions core;
  int64_t workers = 1;
  int64_t queue_capacity = 1024;
  int64_t grace_ms = 30000;
  int64_t drain_delay_ms = 0;
};

// The exit code when a flag is wrong (usage printed).
std::optional<int> ArgsFromFlags(const Flags& flags, ServeArgs& args) {
  service::ServerOptions& server_options = args.server;
  service::CoreOptions& core_options = args.core;
  int64_t& workers = args.workers;
  int64_t& queue_capacity = args.queue_capacity;
  int64_t& grace_ms = args.grace_ms;
  server_options.listen = flags.Get("listen", server_options.listen);
  server_options.metrics_listen = flags.Get("metrics-listen", server_options.metrics_listen);
  if (server_options.metrics_listen == "off") server_options.metrics_listen.clear();
  const int cores = grader::AvailableCores();
  workers = cores;
  if (flags.Has("workers") && !ParsePositive(flags.Get("workers"), &workers)) {
    return Usage("--workers: expected a positive integer");
  }
  if (workers > cores) {
    return Usage(absl::StrCat("--workers ", workers, ": at most the ", cores,
                              " cores this process may use (runs never share a core)"));
  }
  if (flags.Has("queue") && !ParsePositive(flags.Get("queue"), &queue_capacity)) {
    return Usage("--queue: expected a positive integer");
  }
  if (flags.Has("grace") && !ParseSeconds(flags.Get("grace"), &grace_ms)) {
    return Usage("--grace: expected seconds >= 0");
  }
  if (flags.Has("drain-delay") && !ParseSeconds(flags.Get("drain-delay"), &args.drain_delay_ms)) {
    return Usage("--drain-delay: expected seconds >= 0");
  }
  if (flags.Has("max-message-bytes")) {
    int64_t n = 0;
    if (!ParsePositive(flags.Get("max-message-bytes"), &n) || n > (int64_t{1} << 30)) {
      return Usage("--max-message-bytes: expected a positive integer up to 1 GiB");
    }
    server_options.max_receive_message_bytes = static_cast<int>(n);
  }
  if (flags.Has("max-connection-age") &&
      (!ParseSeconds(flags.Get("max-connection-age"), &server_options.max_connection_age_ms) ||
       server_options.max_connection_age_ms < 1000)) {
    return Usage("--max-connection-age: expected seconds >= 1");
  }
  server_options.tls.cert_file = flags.Get("tls-cert");
  server_options.tls.key_file = flags.Get("tls-key");
  server_options.tls.client_ca_file = flags.Get("client-ca");
  server_options.health_listen = flags.Get("health-listen");
  // Checked now, before runtimes are probed and problem sets calibrated.
  if (absl::Status s = service::MakeServerCredentials(server_options.tls).status(); !s.ok()) {
    return Usage(std::string(s.message()));
  }
  if (flags.Has("env-allow")) core_options.env_allow = flags.GetAll("env-allow");
  core_options.cache_dir = flags.Get("cache");
  if (absl::Status s = ParseIoModeFlags(flags, &core_options.mode, &core_options.io_settings);
      !s.ok()) {
    return Usage(std::string(s.message()));
  }
  return std::nullopt;
}

// The --problems sets; the exit code when one cannot be served (error printed). As
// `fathom grade`: --mode io on a set without inputs fails before any measuring.
std::optional<int> LoadProblemSets(const Flags& flags, grader::GradeMode mode,
                                   std::vector<service::ServedProblemSet>& problem_sets) {
  for (const std::string& spec : flags.GetAll("problems")) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      return Usage(absl::StrCat("--problems ", spec, ": expected NAME=PATH"));
    }
    std::string name = spec.substr(0, eq);
    for (const auto& p : problem_sets) {
      if (p.name == name) return Usage(absl::StrCat("--problems: '", name, "' given twice"));
    }
    absl::StatusOr<grader::ProblemSet> set = grader::LoadProblems(spec.substr(eq + 1));
    if (!set.ok()) {
      PrintError("serve", std::string(set.status().message()));
      return kExitUsage;
    }
    std::set<std::string> ids;
    for (const grader::Problem& p : set->problems) ids.insert(p.task_id);
    absl::Status io = grader::IoModeTasks(*set, mode, ids).status();
    if (!io.ok()) {
      PrintError("serve", absl::StrCat("--problems ", name, ": ", io.message()));
      return kExitUsage;
    }
    service::ServedProblemSet served;
    served.name = std::move(name);
    served.set = *std::move(set);
    // EvalPlus's dataset hash, for GradeRequest format "evalplus" (as `fathom grade
    // --format evalplus` writes it).
    absl::StatusOr<std::string> md5 = grader::ProblemFileMd5(spec.substr(eq + 1));
    if (md5.ok()) served.md5 = *md5;
    problem_sets.push_back(std::move(served));
  }
  return std::nullopt;
}

// Every runtime of the policy, prepared and probed in the sandbox (`runner`) under the
// --timeout and --limit ceilings; the exit code when one cannot run (error printed).
std::optional<int> ProbeRuntimes(const Flags& flags, const grader::Policy& policy,
                                 sandbox::Runner& runner, const sandbox::LayerSet& layers,
                                 std::vector<service::ServedRuntime>& runtimes,
                                 int64_t* largest_output) {
  for (const auto& [name, rt] : policy.runtimes) {
    // A runtime this host cannot run is not served (ListRuntimes leaves it out), and says
    // why; Grade's own runtime must run.
    std::string skip;
    if (std::vector<std::string> missing = grader::MissingToolchainPaths(rt); !missing.empty()) {
      skip = absl::StrCat("not installed (missing ", absl::StrJoin(missing, ", "),
                          "; install: apt-get install ", absl::StrJoin(rt.packages, " "), ")");
    } else if (absl::Status s = grader::CheckRuntimeLayers(rt, layers); !s.ok()) {
      skip = std::string(s.message());
    }
    if (!skip.empty()) {
      PrintError("serve", absl::StrCat("runtime ", name, ": ", skip, "; not served"));
      continue;
    }
    absl::StatusOr<grader::PreparedRuntime> prepared =
        grader::PrepareRuntime(policy, name, layers.Has(sandbox::Layer::kSeccomp));
    if (!prepared.ok()) {
      PrintError("serve", std::string(prepared.status().message()));
      return kExitUsage;
    }
    service::ServedRuntime served;
    served.prepared = *prepared;
    served.limits = rt.limits;
    if (flags.Has("timeout")) {
      int64_t ms = 0;
      if (!ParseSeconds(flags.Get("timeout"), &ms) || ms < 1) {
        return Usage("--timeout: expected seconds > 0");
      }
      served.limits.cpu_time_ms = ms;
    }
    if (absl::Status s = ApplyLimitFlags(flags.GetAll("limit"), served.limits); !s.ok()) {
      return Usage(std::string(s.message()));
    }
    served.layers = layers.Names();
    std::string note;
    absl::StatusOr<grader::RuntimeContext> context =
        grader::ProbeRuntime(runner, served.prepared, served.limits, policy.hash, served.layers,
                             flags.Get("cache"), &note);
    if (!note.empty()) PrintError("serve", absl::StrCat("runtime ", name, ": warning: ", note));
    if (!context.ok()) {
      PrintError("serve", absl::StrCat("sandbox error: runtime ", name, ": ",
                                       context.status().message()));
      return kExitSandboxErrors;
    }
    served.context = *std::move(context);
    served.interpreter_version = served.context.interpreter_version;
    *largest_output = std::max(*largest_output, served.limits.max_output_bytes);
    runtimes.push_back(std::move(served));
  }
  return std::nullopt;
}

}  // namespace

int ServeMain(int argc, char** argv) {
  // Before any thread exists, so that only WaitForTerminationSignal sees SIGTERM.
  service::BlockTerminationSignals();
  Flags flags;
  DeclareFlags(flags);
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) return Usage(std::string(s.message()));
  if (flags.GetBool("help")) {
    std::cout << kUsage << flags.Help();
    return kExitOk;
  }
  if (!flags.positionals().empty()) return Usage("unexpected arguments");

  ServeArgs args;
  if (std::optional<int> exit = ArgsFromFlags(flags, args)) return *exit;
  service::ServerOptions& server_options = args.server;
  service::CoreOptions& core_options = args.core;
  const int64_t workers = args.workers;

  absl::StatusOr<grader::Policy> policy = LoadPolicyOrDefault(flags.Get("policies"));
  if (!policy.ok()) return Usage(std::string(policy.status().message()));

  std::vector<service::ServedProblemSet> problem_sets;
  if (std::optional<int> exit = LoadProblemSets(flags, core_options.mode, problem_sets)) {
    return *exit;
  }

  // Pre-started inits serve the fresh path: one per worker when that is the runner.
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> sb = MakeSandbox(
      *policy, flags.GetAll("require"), flags.GetBool("no-zygote") ? static_cast<int>(workers) : 0);
  if (!sb.ok()) {
    PrintError("serve", absl::StrCat(sb.status().message(),
                                     "\n(run `fathom doctor` to see what this host allows)"));
    return kExitUsage;
  }
  sandbox::Runner& runner = **sb;  // probes; the programs go through `choice` below
  const sandbox::LayerSet layers = runner.active_layers();

  std::vector<service::ServedRuntime> runtimes;
  int64_t largest_output = 0;
  if (std::optional<int> exit =
          ProbeRuntimes(flags, *policy, runner, layers, runtimes, &largest_output)) {
    return *exit;
  }
  // An Execute response carries two full output streams.
  server_options.max_send_message_bytes = static_cast<int>(std::min<int64_t>(
      std::max<int64_t>(server_options.max_send_message_bytes, 2 * largest_output + (1 << 20)),
      int64_t{1} << 30));

  // Python programs run in warm zygotes (one per worker), as in `fathom grade`; a spec a
  // zygote cannot serve, and every other runtime, goes to the sandbox. A zygote killed
  // mid-run is restarted and the program run once more (lost twice: sandbox_error).
  RunnerChoice choice;
  choice.runner = sb->get();
  choice.description = "fresh interpreters (no runtime has a zygote)";
  for (const service::ServedRuntime& served : runtimes) {
    if (served.prepared.policy->zygote) {
      choice = MakeRunner(**sb, served.prepared, static_cast<int>(workers),
                          !flags.GetBool("no-zygote"));
      break;
    }
  }

  service::CallLog log(&std::cerr);
  const std::vector<std::string> limit_flags = flags.GetAll("limit");
  const bool auto_time_limit =
      !flags.Has("timeout") &&
      std::none_of(limit_flags.begin(), limit_flags.end(),
                   [](const std::string& kv) { return kv.rfind("cpu_time_ms=", 0) == 0; });
  core_options.io_fixed_cpu = !auto_time_limit;
  if (const service::ServedRuntime* default_grading = GradingRuntime(runtimes, core_options)) {
    for (service::ServedProblemSet& set : problem_sets) {
      // A set that names its language (HumanEval-X) is prepared with that runtime.
      const service::ServedRuntime* grading = default_grading;
      if (const std::string language = grader::ProblemsLanguage(set.set); !language.empty()) {
        grading = nullptr;
        for (const service::ServedRuntime& r : runtimes) {
          if (r.prepared.policy->name == language) grading = &r;
        }
        if (grading == nullptr) {
          PrintError("serve", absl::StrCat("--problems ", set.name, ": its problems are ",
                                           language, ", a runtime this server does not serve"));
          return kExitUsage;
        }
      }
      set.runtime = grading->prepared.policy->name;
      if (absl::Status s = PrepareProblemSet(*grading, core_options, choice,
                                             static_cast<int>(workers), auto_time_limit, log,
                                             set);
          !s.ok()) {
        PrintError("serve", absl::StrCat("--problems ", set.name, ": ", s.message()));
        return kExitUsage;
      }
    }
  }

  service::Metrics metrics;
  if (choice.zygote != nullptr) {
    metrics.SetZygoteRestarts([z = choice.zygote.get()] {
      return static_cast<double>(z->stats().restarts);
    });
  }
  core_options.runner_description = choice.description;
  if (choice.zygote != nullptr) {
    core_options.zygote_stats = [z = choice.zygote.get()] { return z->stats(); };
  }
  // Pinned workers (when they take every core, as by default): each meets the zygote slot
  // on its core, and a run's wake-ups stay there (service/run_queue.h).
  service::RunQueue queue({static_cast<int>(workers), static_cast<size_t>(args.queue_capacity),
                           /*pin_workers=*/true});
  if (!core_options.cache_dir.empty()) {
    if (absl::Status s = grader::DiskCache::Open(core_options.cache_dir).status(); !s.ok()) {
      PrintError("serve", absl::StrCat("--cache ", s.message()));
      return kExitUsage;
    }
  }
  absl::StatusOr<std::unique_ptr<service::Core>> core = service::Core::Create(
      core_options, std::move(runtimes), std::move(problem_sets), *choice.runner, queue,
      metrics);
  if (!core.ok()) {
    PrintError("serve", std::string(core.status().message()));
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<service::Server>> server =
      service::Server::Start(server_options, **core, metrics, log);
  if (!server.ok()) {
    PrintError("serve", std::string(server.status().message()));
    return kExitUsage;
  }
  std::vector<std::string> set_names;
  fathom::v1::ListProblemSetsResponse sets;
  (*core)->ListProblemSets(&sets);
  for (const auto& s : sets.problem_sets()) set_names.push_back(s.name());
  log.Event("listening",
            {{"port", absl::StrCat((*server)->port())},
             {"metrics_port", absl::StrCat((*server)->metrics_port())},
             {"health_port", absl::StrCat((*server)->health_port())},
             {"tls", !server_options.tls.enabled()              ? "off"
                     : server_options.tls.client_ca_file.empty() ? "tls"
                                                                 : "mutual"},
             {"workers", absl::StrCat(workers)},
             {"queue", absl::StrCat(args.queue_capacity)},
             {"layers", absl::StrJoin(layers.Names(), ",")},
             {"runner", choice.description},
             {"problem_sets", absl::StrJoin(set_names, ",")},
             {"version", kFathomVersion}});

  const int sig = service::WaitForTerminationSignal();
  log.Event("signal", {{"signal", absl::StrCat(sig)}});
  (*server)->Drain(std::chrono::milliseconds(args.drain_delay_ms),
                   std::chrono::milliseconds(args.grace_ms));
  server->reset();
  core->reset();
  return kExitOk;
}

}  // namespace fathom::cli
