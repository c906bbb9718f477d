// Assert-mode program assembly and the Python harness around it.
#include "grader/pipeline/program.h"

#include <cstdint>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grader/formats/sha256.h"
#include "grader/pipeline/phase_trace.h"
#include "grader/formats/humanevalx.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {

extern const char kHarnessCommonSource[];  // harness_common.py, embedded by CMakeLists.txt
extern const char kIoHarnessSource[];      // io_harness.py, the same

namespace {

// The assert-mode harness: part of the harness module (HarnessModuleSource). Python's own
// names are bound before the reliability switches are thrown, so user code that replaces
// them cannot break the reporting path by accident.
constexpr char kAssertHarness[] = R"PY(
# fathom assert-mode harness v5: runs a program as openai/human-eval does and reports its
# outcome on a private channel (see grader/pipeline/program.h in the fathom sources).
def _fathom_run(src, json=_fathom_json, os=_fathom_os, sys=_fathom_sys):
    read, write, dup, exit_now = os.read, os.write, os.dup, os._exit
    assertion_error, memory_error, base_exception = AssertionError, MemoryError, BaseException
    nonce = _fathom_read_nonce(read)
    channel = dup(1)
    try:
        null_fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null_fd, 0)
        os.close(null_fd)
    except OSError:
        pass

    # The record is assembled with C functions bound now and with operators only (no
    # method lookups, which a program can redirect by editing a builtin type's dict): a
    # program that patches json.dumps, JSONEncoder or str methods cannot turn its failure
    # record into a pass.
    quote = json.encoder.c_encode_basestring_ascii or json.encoder.py_encode_basestring_ascii
    is_instance, str_type, bytes_type = isinstance, str, bytes

    def report(record):
        if _FATHOM_TRACE:
            _fathom_trace("record")
            record = record + (("trace", _fathom_trace_text()),)
        text = "{"
        for k, v in record:
            if text != "{":
                text = text + ", "
            text = text + quote(k) + ": " + (
                quote(v) if is_instance(v, str_type) else ("true" if v else "false"))
        data = b"\nFATHOM-" + nonce + b" " + bytes_type(text + "}", "ascii") + b"\n"
        while data:
            data = data[write(channel, data):]
        exit_now(0)

    # human-eval's worker process has numpy loaded before the guard (its evaluation module
    # imports it), and numpy cannot be imported after it (its import calls functions the
    # guard removes). Loading it up front only for programs that name it keeps that
    # behaviour without paying numpy's import time on every run.
    if "numpy" in src:
        try:
            import numpy
        except ImportError:
            pass

    _fathom_reliability_guard()

    stream = _fathom_no_read_stream()
    _fathom_trace("harness")
    try:
        # contextlib.redirect_stdout and redirect_stderr, spelled out (their objects
        # and calls cost a child about 40 copied pages).
        saved_stdout, saved_stderr = sys.stdout, sys.stderr
        sys.stdout = stream
        sys.stderr = stream
        try:
            sys.stdin = stream
            code = compile(src, "<string>", "exec")  # what exec(src) would compile
            _fathom_trace("compile")
            exec(code, {})
        finally:
            sys.stderr = saved_stderr
            sys.stdout = saved_stdout
    except base_exception as e:
        _fathom_trace("program")
        try:
            message = f"{e}"
            kind = type(e).__name__
        except base_exception:
            exit_now(1)  # human-eval loses such a result too: it reports "timed out"
        if len(message) > 65536:
            message = message[:65536] + "...[truncated by fathom]"
        message = message.encode("utf-8", "backslashreplace").decode("utf-8")
        report((("outcome", "exception"), ("type", kind), ("message", message),
                ("assertion", isinstance(e, assertion_error)),
                ("memory", isinstance(e, memory_error))))
    _fathom_trace("program")
    report((("outcome", "passed"),))
)PY";

}  // namespace

void AppendPythonStringLiteral(absl::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('\'');
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '\'':
        out->append("\\'");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out->append("\\x");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(ch);  // UTF-8 bytes pass through: the file is UTF-8 source
        }
    }
  }
  out->push_back('\'');
}

std::string AssertProgram(const Problem& problem, absl::string_view code, bool is_solution) {
  switch (problem.format) {
    case ProblemFormat::kHumanEval: {
      std::string head = is_solution ? std::string(code) : absl::StrCat(problem.prompt, code);
      return absl::StrCat(head, "\n", problem.test, "\n", "check(", problem.entry_point, ")");
    }
    case ProblemFormat::kMbppPlus: {
      std::string head = is_solution ? std::string(code) : absl::StrCat(problem.prompt, code);
      return absl::StrCat(head, "\n", problem.test);
    }
    case ProblemFormat::kMbppPlusOrigin:
      return absl::StrCat(problem.test_setup, code, "\n", problem.test);
    case ProblemFormat::kHumanEvalX:
      return HumanEvalXProgram(problem, code, is_solution);
    case ProblemFormat::kMultiplE:
      // MultiPL-E's rule (its evaluation's cached_eval_script): the tests call the
      // function and end the program; no check() call is added.
      return absl::StrCat(is_solution ? "" : problem.prompt, code, "\n", problem.test);
    case ProblemFormat::kMbpp: {
      // The setup comes after the code: MBPP's only setup snippets (tasks 367 and 927)
      // build trees from the `Node` class that the code defines.
      std::string out = absl::StrCat(code, "\n", problem.test_setup, "\n");
      for (const std::string& t : problem.test_list) absl::StrAppend(&out, t, "\n");
      for (const std::string& t : problem.challenge_test_list) absl::StrAppend(&out, t, "\n");
      return out;
    }
  }
  return std::string(code);
}

std::string CanonicalAssertProgram(const Problem& problem) {
  return AssertProgram(problem, problem.canonical_solution,
                       /*is_solution=*/problem.format != ProblemFormat::kHumanEval &&
                           problem.format != ProblemFormat::kHumanEvalX);
}

std::string NativeProgram(const Problem& problem, absl::string_view code, bool is_solution) {
  if (problem.format == ProblemFormat::kHumanEval) {
    // No check(entry_point): that call is Python; a test in another language calls
    // the function itself (MultiPL-E, HumanEval-X).
    return absl::StrCat(is_solution ? "" : problem.prompt, code, "\n", problem.test);
  }
  return AssertProgram(problem, code, is_solution);
}

const std::string& HarnessModuleSource() {
  static const std::string* source =
      new std::string(absl::StrCat(kHarnessCommonSource, kAssertHarness, kIoHarnessSource));
  return *source;
}

const std::string& HarnessModuleName() {
  static const std::string* name = [] {
    Sha256 h;
    h.Update(HarnessModuleSource());
    return new std::string(absl::StrCat("_fathom_harness_", h.FinalHex().substr(0, 16)));
  }();
  return *name;
}

namespace {

const std::string& HarnessBootstrap() {
  static const std::string* bootstrap = [] {
    const std::string& name = HarnessModuleName();
    return new std::string(absl::StrCat(
        "# fathom harness: runs the program below under fathom's grading harness (see\n"
        "# grader/pipeline/program.h in the fathom sources). A zygote has the harness\n"
        "# module loaded already; a fresh interpreter defines it from its file here.\n"
        "import sys as _fathom_sys\n"
        "_fathom_h = _fathom_sys.modules.get('", name, "')\n"
        "if _fathom_h is None:\n"
        "    _fathom_h = type(_fathom_sys)('", name, "')\n"
        "    with open('", name, ".py', 'rb') as _fathom_f:\n"
        "        exec(compile(_fathom_f.read(), '<", name, ">', 'exec', dont_inherit=True),\n"
        "             _fathom_h.__dict__)\n"
        "    _fathom_sys.modules['", name, "'] = _fathom_h\n"
        "    del _fathom_f\n"));
  }();
  return *bootstrap;
}

}  // namespace

void AppendHarnessBootstrap(std::string* out) { out->append(HarnessBootstrap()); }

void AddHarnessFile(sandbox::RunSpec* spec) {
  if (spec->files.empty() || !absl::StartsWith(spec->files[0].content, HarnessBootstrap())) {
    return;
  }
  std::string name = absl::StrCat(HarnessModuleName(), ".py");
  for (const sandbox::File& f : spec->files) {
    if (f.name == name) return;
  }
  spec->files.push_back({std::move(name), HarnessModuleSource()});
}

void PreloadHarness(sandbox::ZygoteOptions* options) {
  options->preload_sources.push_back({HarnessModuleName(), HarnessModuleSource()});
}

sandbox::ZygoteOptions GradingZygoteOptions(const PreparedRuntime& runtime, int slots) {
  sandbox::ZygoteOptions options = MakeZygoteOptions(runtime, slots);
  PreloadHarness(&options);
  return options;
}

std::string WrapInHarness(absl::string_view program) {
  std::string out;
  AppendHarnessBootstrap(&out);
  out.reserve(out.size() + program.size() + program.size() / 8 + 32);
  out.append("_fathom_h._fathom_run(");
  AppendPythonStringLiteral(program, &out);
  out.append(")\n");
  return out;
}

std::string NewNonce() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 2; ++i) {
    uint64_t v = rng();
    for (int k = 0; k < 16; ++k, v >>= 4) out.push_back(kHex[v & 0xf]);
  }
  return out;
}

HarnessRecord ParseHarnessRecord(absl::string_view stdout_data, absl::string_view nonce) {
  HarnessRecord record;
  std::string marker = absl::StrCat("\nFATHOM-", nonce, " ");
  size_t at = stdout_data.find(marker);
  if (nonce.empty() || at == absl::string_view::npos) return record;
  size_t start = at + marker.size();
  size_t end = stdout_data.find('\n', start);
  if (end == absl::string_view::npos) return record;  // cut short: no record
  nlohmann::json j = nlohmann::json::parse(stdout_data.substr(start, end - start), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return record;
  // Compared as JSON: value() with a string default throws on a mistyped `outcome`,
  // which a program that found the nonce could write (fuzz/program_output_fuzz.cc).
  const nlohmann::json outcome = j.value("outcome", nlohmann::json(""));
  if (outcome == "passed") {
    record.kind = HarnessRecord::Kind::kPassed;
  } else if (outcome == "exception") {
    record.kind = HarnessRecord::Kind::kException;
    auto str = [&](const char* k) {
      auto it = j.find(k);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto flag = [&](const char* k) {
      auto it = j.find(k);
      return it != j.end() && it->is_boolean() && it->get<bool>();
    };
    record.type = str("type");
    record.message = str("message");
    record.assertion = flag("assertion");
    record.memory = flag("memory");
  }
  if (auto it = j.find("trace"); it != j.end() && it->is_string()) {
    ParseHarnessTrace(it->get<std::string>(), &record.trace);
  }
  return record;
}

}  // namespace fathom::grader
