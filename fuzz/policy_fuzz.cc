// Fuzzes the policy YAML loader (grader/policy.cc, through yaml-cpp). Input: the three
// files of a policy directory, sandbox.yaml, runtimes/python.yaml and
// seccomp/python.yaml, separated by NUL bytes. Invariants: it never throws; a bad file
// is an InvalidArgument of the documented form "FILE:LINE:COLUMN: ..." naming one of the
// files; a loaded policy has a 16-hex-digit hash that a second load reproduces, and
// every runtime in it prepares (its seccomp profile compiles) and yields a RunSpec.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include "absl/strings/string_view.h"

#include "fuzz/fuzz_util.h"
#include "grader/policy/policy.h"

namespace {

namespace fs = std::filesystem;

constexpr const char* kFiles[] = {"sandbox.yaml", "runtimes/python.yaml",
                                  "seccomp/python.yaml"};

// True when `message` is "<dir>/<one of kFiles>:LINE:COLUMN: ...".
bool HasPosition(const std::string& message, const std::string& dir) {
  for (const char* f : kFiles) {
    const std::string prefix = dir + "/" + f + ":";
    if (message.compare(0, prefix.size(), prefix) != 0) continue;
    size_t i = prefix.size();
    for (int field = 0; field < 2; ++field) {
      size_t digits = 0;
      while (i < message.size() && std::isdigit(static_cast<unsigned char>(message[i]))) {
        ++i, ++digits;
      }
      if (digits == 0 || i >= message.size() || message[i] != ':') return false;
      ++i;
    }
    return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fathom::fuzz::TempDir* dir = [] {
    auto* d = new fathom::fuzz::TempDir;
    fs::create_directories(d->path() + "/runtimes");
    fs::create_directories(d->path() + "/seccomp");
    return d;
  }();
  absl::string_view rest(reinterpret_cast<const char*>(data), size);
  for (const char* f : kFiles) {
    const size_t nul = rest.find('\0');
    std::ofstream(dir->path() + "/" + f, std::ios::binary | std::ios::trunc)
        << rest.substr(0, nul);
    rest = nul == absl::string_view::npos ? absl::string_view() : rest.substr(nul + 1);
  }

  absl::StatusOr<fathom::grader::Policy> policy = fathom::grader::LoadPolicy(dir->path());
  if (!policy.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(policy.status()));
    if (!HasPosition(std::string(policy.status().message()), dir->path())) {
      std::fprintf(stderr, "error without a position: %s\n",
                   policy.status().ToString().c_str());
      FUZZ_CHECK(!"a policy error without FILE:LINE:COLUMN");
    }
    return 0;
  }
  FUZZ_CHECK(policy->hash.size() == 16);
  absl::StatusOr<fathom::grader::Policy> again = fathom::grader::LoadPolicy(dir->path());
  FUZZ_CHECK(again.ok() && again->hash == policy->hash);
  for (const auto& [name, runtime] : policy->runtimes) {
    absl::StatusOr<fathom::grader::PreparedRuntime> prepared =
        fathom::grader::PrepareRuntime(*policy, name, /*with_seccomp=*/true);
    FUZZ_CHECK(prepared.ok());
    fathom::grader::MakeRunSpec(*prepared, "print(1)\n", runtime.limits);
  }
  return 0;
}
