// Policy loader: reads and validates policies/ (sandbox.yaml, runtimes/,
// seccomp/) with yaml-cpp, turning every problem into an InvalidArgument error
// that names file:line:column.
#include "grader/policy/policy.h"

#include <errno.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "grader/policy/yaml_doc.h"
#include "sandbox/mounts.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;

// Policy files are a few KiB; anything this big is a mistake, not a policy.
constexpr uintmax_t kMaxPolicyFileBytes = uintmax_t{1} << 20;

// errno names accepted in seccomp profiles. A name, not a number, so profiles
// read the same on every architecture.
struct ErrnoName {
  absl::string_view name;
  int value;
};
constexpr std::array<ErrnoName, 38> kErrnoNames = {{
    {"EPERM", EPERM},
    {"ENOENT", ENOENT},
    {"ESRCH", ESRCH},
    {"EINTR", EINTR},
    {"EIO", EIO},
    {"ENXIO", ENXIO},
    {"E2BIG", E2BIG},
    {"ENOEXEC", ENOEXEC},
    {"EBADF", EBADF},
    {"ECHILD", ECHILD},
    {"EAGAIN", EAGAIN},
    {"ENOMEM", ENOMEM},
    {"EACCES", EACCES},
    {"EFAULT", EFAULT},
    {"EBUSY", EBUSY},
    {"EEXIST", EEXIST},
    {"EXDEV", EXDEV},
    {"ENODEV", ENODEV},
    {"ENOTDIR", ENOTDIR},
    {"EISDIR", EISDIR},
    {"EINVAL", EINVAL},
    {"ENFILE", ENFILE},
    {"EMFILE", EMFILE},
    {"ENOTTY", ENOTTY},
    {"ETXTBSY", ETXTBSY},
    {"EFBIG", EFBIG},
    {"ENOSPC", ENOSPC},
    {"ESPIPE", ESPIPE},
    {"EROFS", EROFS},
    {"EMLINK", EMLINK},
    {"EPIPE", EPIPE},
    {"ENOSYS", ENOSYS},
    {"ENOTSUP", ENOTSUP},
    {"EOPNOTSUPP", EOPNOTSUPP},
    {"EAFNOSUPPORT", EAFNOSUPPORT},
    {"EPROTONOSUPPORT", EPROTONOSUPPORT},
    {"ENETUNREACH", ENETUNREACH},
    {"ECONNREFUSED", ECONNREFUSED},
}};

using yaml::Entries;
using yaml::Entry;
using yaml::Find;
using yaml::Sub;

// One policy file being read: a yaml::File with the policy's own value types.
class PolicyFile : public yaml::File {
 public:
  explicit PolicyFile(yaml::File file) : yaml::File(std::move(file)) {}

  absl::StatusOr<int> Errno(const Entry& e, absl::string_view key) const {
    absl::StatusOr<std::string> s = String(e, key);
    if (!s.ok()) return s.status();
    for (const ErrnoName& n : kErrnoNames) {
      if (n.name == *s) return n.value;
    }
    std::vector<absl::string_view> names;
    for (const ErrnoName& n : kErrnoNames) names.push_back(n.name);
    return Error(e, key,
                 absl::StrCat("unknown errno name '", *s,
                              "' (known: ", absl::StrJoin(names, ", "), ")"));
  }

  // Applies a `limits:` mapping on top of `limits` with SetLimit, which owns
  // the keys, the integer syntax and the minimums.
  absl::Status ApplyLimits(const Entry& e, absl::string_view name,
                           sandbox::Limits& limits) const {
    absl::StatusOr<Entries> entries = Mapping(e, e.value, name, {});
    if (!entries.ok()) return entries.status();
    for (const auto& [k, v] : *entries) {
      const std::string key = Sub(name, k);
      if (!v.value.IsScalar()) {
        // An unknown key is the worse problem; ask SetLimit about the key
        // alone.
        sandbox::Limits scratch;
        absl::Status known = sandbox::SetLimit(scratch, k, "0");
        if (absl::StartsWith(known.message(), "unknown limit")) {
          return Error(v.key, key, known.message());
        }
        return Error(v, key, "expected an integer");
      }
      absl::Status s = sandbox::SetLimit(limits, k, v.value.Scalar());
      if (s.ok()) continue;
      absl::string_view message = s.message();
      if (absl::StartsWith(message, "unknown limit")) {
        return Error(v.key, key, message);
      }
      // SetLimit says "limit KEY: ..."; the key is already in our prefix.
      const std::string own_prefix = absl::StrCat("limit ", k, ": ");
      if (absl::StartsWith(message, own_prefix))
        message.remove_prefix(own_prefix.size());
      return Error(v, key, message);
    }
    return absl::OkStatus();
  }
};

// Reads `path` (shown in errors as `shown`) whole, refusing absurd sizes.
absl::StatusOr<PolicyFile> ReadPolicyFile(const fs::path& path,
                                          const std::string& shown) {
  absl::StatusOr<yaml::File> file =
      yaml::ReadFile(path, shown, kMaxPolicyFileBytes, "policy files");
  if (!file.ok()) return file.status();
  return PolicyFile(*std::move(file));
}

// The *.yaml files directly in `dir`, sorted by name. A missing directory is an
// empty list.
absl::StatusOr<std::vector<std::string>> YamlFilesIn(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (absl::EndsWith(name, ".yaml") && it->is_regular_file(ec))
      names.push_back(name);
  }
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir.string(), ": cannot list: ", ec.message()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// FNV-1a, 64 bits: tiny, stable across platforms, good enough to tell policies
// apart (it is a cache key, not a security boundary).
class Fnv1a64 {
 public:
  void Update(absl::string_view bytes) {
    for (unsigned char c : bytes) {
      state_ ^= c;
      state_ *= 0x100000001b3ULL;
    }
  }
  std::string Hex() const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 0; i < 16; ++i)
      out[15 - i] = kDigits[(state_ >> (4 * i)) & 0xf];
    return out;
  }

 private:
  uint64_t state_ = 0xcbf29ce484222325ULL;
};

constexpr absl::string_view kNamespaces = "namespaces";

absl::Status LoadSandboxYaml(const PolicyFile& file, Policy& policy) {
  static constexpr std::array<absl::string_view, 2> kKeys = {"limits",
                                                             "isolation"};
  absl::StatusOr<YAML::Node> root = file.Parse();
  if (!root.ok()) return root.status();
  absl::StatusOr<Entries> entries = file.Root(*root, kKeys);
  if (!entries.ok()) return entries.status();

  if (const Entry* e = Find(*entries, "limits")) {
    if (absl::Status s = file.ApplyLimits(*e, "limits", policy.default_limits);
        !s.ok()) {
      return s;
    }
  }

  policy.wanted_layers = sandbox::LayerSet::All();
  if (const Entry* e = Find(*entries, "isolation")) {
    std::vector<absl::string_view> known = {kNamespaces};
    for (uint32_t i = 0; i < static_cast<uint32_t>(sandbox::Layer::kCount);
         ++i) {
      known.push_back(sandbox::LayerName(static_cast<sandbox::Layer>(i)));
    }
    absl::StatusOr<Entries> layers =
        file.Mapping(*e, e->value, "isolation", {});
    if (!layers.ok()) return layers.status();
    for (const auto& [name, entry] : *layers) {
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        return file.Error(entry.key, Sub("isolation", name),
                          absl::StrCat("unknown layer (expected one of: ",
                                       absl::StrJoin(known, ", "), ")"));
      }
    }
    // The shorthand first, so `namespaces: false` plus `user_ns: true` means
    // what it says.
    if (const Entry* ns = Find(*layers, kNamespaces)) {
      absl::StatusOr<bool> on = file.Bool(*ns, "isolation.namespaces");
      if (!on.ok()) return on.status();
      policy.wanted_layers =
          *on ? policy.wanted_layers
              : policy.wanted_layers.Minus(sandbox::LayerSet::Namespaces());
    }
    for (const auto& [name, entry] : *layers) {
      if (name == kNamespaces) continue;
      sandbox::Layer layer;
      if (!sandbox::ParseLayer(name, &layer)) continue;  // checked above
      absl::StatusOr<bool> on = file.Bool(entry, Sub("isolation", name));
      if (!on.ok()) return on.status();
      if (*on) {
        policy.wanted_layers.Add(layer);
      } else {
        policy.wanted_layers.Remove(layer);
      }
    }
  }
  return absl::OkStatus();
}

// A syscall name in a profile with where it was written, for errors found after
// parsing.
struct ListedSyscall {
  std::string name;
  std::string key;  // "allow[3]", "errno.socket", ...
  YAML::Node node;
};

absl::Status CheckCompiles(const PolicyFile& file, const YAML::Node& root,
                           const sandbox::SeccompProfile& profile,
                           const std::vector<ListedSyscall>& listed) {
  // The exec path only matters for the filter's address rule; any absolute path
  // will do.
  absl::StatusOr<std::shared_ptr<const sandbox::SeccompFilter>> filter =
      sandbox::CompileSeccomp(profile, "/usr/bin/python3");
  if (filter.ok()) return absl::OkStatus();
  // Find the entry responsible by compiling each name alone (only on this error
  // path), so the error points at the line to fix.
  for (const ListedSyscall& l : listed) {
    sandbox::SeccompProfile one;
    one.name = profile.name;
    one.allow.push_back(l.name);
    absl::StatusOr<std::shared_ptr<const sandbox::SeccompFilter>> single =
        sandbox::CompileSeccomp(one, "/usr/bin/python3");
    if (!single.ok()) {
      return file.Error(l.node, l.key, single.status().message());
    }
  }
  return file.Error(root, "", filter.status().message());
}

absl::Status LoadSeccompYaml(
    const PolicyFile& file, Policy& policy,
    std::map<std::string, std::string>& profile_files) {
  static constexpr std::array<absl::string_view, 13> kKeys = {
      "name",          "default",        "default_errno", "allow",
      "errno",         "kill",           "allow_threads", "allow_process_creation",
      "process_errno", "exec_errno",     "allow_any_exec", "kill_process_creation",
      "kill_exec"};
  absl::StatusOr<YAML::Node> root = file.Parse();
  if (!root.ok()) return root.status();
  absl::StatusOr<Entries> entries = file.Root(*root, kKeys);
  if (!entries.ok()) return entries.status();

  sandbox::SeccompProfile profile;
  absl::StatusOr<const Entry*> name =
      file.Required(*entries, *root, "", "name");
  if (!name.ok()) return name.status();
  absl::StatusOr<std::string> name_value = file.NonEmptyString(**name, "name");
  if (!name_value.ok()) return name_value.status();
  profile.name = *name_value;
  if (auto it = profile_files.find(profile.name); it != profile_files.end()) {
    return file.Error(**name, "name",
                      absl::StrCat("seccomp profile '", profile.name,
                                   "' is already defined in ", it->second));
  }

  if (const Entry* e = Find(*entries, "default")) {
    absl::StatusOr<std::string> s = file.String(*e, "default");
    if (!s.ok()) return s.status();
    if (*s == "allow") {
      profile.default_action = sandbox::SeccompAction::kAllow;
    } else if (*s == "errno") {
      profile.default_action = sandbox::SeccompAction::kErrno;
    } else if (*s == "kill") {
      profile.default_action = sandbox::SeccompAction::kKill;
    } else {
      return file.Error(*e, "default",
                        absl::StrCat("unknown action '", *s,
                                     "' (expected allow, errno or kill)"));
    }
  }
  struct ErrnoField {
    absl::string_view key;
    int* field;
  };
  for (const ErrnoField& f :
       {ErrnoField{"default_errno", &profile.default_errno},
        ErrnoField{"process_errno", &profile.process_errno},
        ErrnoField{"exec_errno", &profile.exec_errno}}) {
    if (const Entry* e = Find(*entries, f.key)) {
      absl::StatusOr<int> v = file.Errno(*e, f.key);
      if (!v.ok()) return v.status();
      *f.field = *v;
    }
  }
  struct BoolField {
    absl::string_view key;
    bool* field;
  };
  for (const BoolField& f :
       {BoolField{"allow_threads", &profile.allow_threads},
        BoolField{"allow_process_creation", &profile.allow_process_creation},
        BoolField{"allow_any_exec", &profile.allow_any_exec},
        BoolField{"kill_process_creation", &profile.kill_process_creation},
        BoolField{"kill_exec", &profile.kill_exec}}) {
    if (const Entry* e = Find(*entries, f.key)) {
      absl::StatusOr<bool> v = file.Bool(*e, f.key);
      if (!v.ok()) return v.status();
      *f.field = *v;
    }
  }

  // Every name once, across all three lists: a name on two lists is ambiguous.
  std::vector<ListedSyscall> listed;
  std::map<std::string, std::string> first_key;
  auto note = [&](const std::string& syscall, std::string key,
                  const YAML::Node& node) -> absl::Status {
    if (auto it = first_key.find(syscall); it != first_key.end()) {
      return file.Error(node, key,
                        absl::StrCat("syscall '", syscall,
                                     "' is already listed at ", it->second));
    }
    first_key.emplace(syscall, key);
    listed.push_back({syscall, std::move(key), node});
    return absl::OkStatus();
  };
  for (auto [list_key, list] :
       {std::pair<absl::string_view, std::vector<std::string>*>{"allow",
                                                                &profile.allow},
        {"kill", &profile.kill}}) {
    const Entry* e = Find(*entries, list_key);
    if (e == nullptr) continue;
    auto names = file.StringList(*e, list_key);
    if (!names.ok()) return names.status();
    for (size_t i = 0; i < names->size(); ++i) {
      const auto& [syscall, node] = (*names)[i];
      if (absl::Status s =
              note(syscall, absl::StrCat(list_key, "[", i, "]"), node);
          !s.ok()) {
        return s;
      }
      list->push_back(syscall);
    }
  }
  if (const Entry* e = Find(*entries, "errno")) {
    absl::StatusOr<Entries> rules = file.Mapping(*e, e->value, "errno", {});
    if (!rules.ok()) return rules.status();
    for (const auto& [syscall, rule] : *rules) {
      const std::string key = Sub("errno", syscall);
      absl::StatusOr<int> v = file.Errno(rule, key);
      if (!v.ok()) return v.status();
      if (absl::Status s = note(syscall, key, rule.key); !s.ok()) return s;
      profile.errno_rules.push_back({syscall, *v});
    }
  }

  if (absl::Status s = CheckCompiles(file, *root, profile, listed); !s.ok()) {
    return s;
  }
  profile_files.emplace(profile.name, file.path());
  policy.seccomp_profiles.emplace(profile.name, std::move(profile));
  return absl::OkStatus();
}

bool IsEnvName(absl::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
  });
}

bool IsRuntimeName(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c == '_' || c == '-' || c == '.' || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

// `env:` of a runtime or of its compile step, named `where` ("env", "compile.env").
absl::Status LoadEnv(const PolicyFile& file, const Entry& env, absl::string_view where,
                     std::map<std::string, std::string>& env_set,
                     std::vector<std::string>& env_allow) {
  static constexpr std::array<absl::string_view, 2> kKeys = {"set", "allow"};
  absl::StatusOr<Entries> entries = file.Mapping(env, env.value, where, kKeys);
  if (!entries.ok()) return entries.status();
  if (const Entry* set = Find(*entries, "set")) {
    const std::string set_key = Sub(where, "set");
    absl::StatusOr<Entries> vars = file.Mapping(*set, set->value, set_key, {});
    if (!vars.ok()) return vars.status();
    for (const auto& [name, var] : *vars) {
      const std::string key = Sub(set_key, name);
      if (!IsEnvName(name)) {
        return file.Error(var.key, key, "not a valid variable name");
      }
      absl::StatusOr<std::string> value = file.String(var, key);
      if (!value.ok()) return value.status();
      env_set.emplace(name, *value);
    }
  }
  if (const Entry* allow = Find(*entries, "allow")) {
    const std::string allow_key = Sub(where, "allow");
    auto names = file.StringList(*allow, allow_key);
    if (!names.ok()) return names.status();
    for (size_t i = 0; i < names->size(); ++i) {
      const auto& [name, node] = (*names)[i];
      const std::string key = absl::StrCat(allow_key, "[", i, "]");
      if (!IsEnvName(name)) {
        return file.Error(node, key, "not a valid variable name");
      }
      if (env_set.contains(name)) {
        return file.Error(node, key, absl::StrCat("'", name, "' is also in env.set"));
      }
      if (std::find(env_allow.begin(), env_allow.end(), name) != env_allow.end()) {
        return file.Error(node, key, absl::StrCat("'", name, "' is listed twice"));
      }
      env_allow.push_back(name);
    }
  }
  return absl::OkStatus();
}

// A required non-empty string.
absl::StatusOr<std::string> RequiredString(const PolicyFile& file, const Entries& entries,
                                           const YAML::Node& map, absl::string_view parent,
                                           absl::string_view key) {
  absl::StatusOr<const Entry*> e = file.Required(entries, map, parent, key);
  if (!e.ok()) return e.status();
  return file.NonEmptyString(**e, Sub(parent, key));
}

// A plain file name in the work dir.
absl::StatusOr<std::string> WorkDirFileName(const PolicyFile& file, const Entries& entries,
                                            const YAML::Node& map, absl::string_view parent,
                                            absl::string_view key) {
  absl::StatusOr<std::string> name = RequiredString(file, entries, map, parent, key);
  if (!name.ok()) return name;
  if (absl::StrContains(*name, '/') || *name == "." || *name == "..") {
    return file.Error(*Find(entries, key), Sub(parent, key),
                      "must be a plain file name without '/'");
  }
  return name;
}

// The name of a loaded seccomp profile.
absl::StatusOr<std::string> ProfileName(const PolicyFile& file, const Policy& policy,
                                        const Entries& entries, const YAML::Node& map,
                                        absl::string_view parent) {
  absl::StatusOr<std::string> name =
      RequiredString(file, entries, map, parent, "seccomp_profile");
  if (!name.ok()) return name;
  if (!policy.seccomp_profiles.contains(*name)) {
    std::vector<std::string> known;
    for (const auto& [n, p] : policy.seccomp_profiles) known.push_back(n);
    return file.Error(*Find(entries, "seccomp_profile"), Sub(parent, "seccomp_profile"),
                      absl::StrCat("no seccomp profile named '", *name,
                                   "' (known: ", absl::StrJoin(known, ", "), ")"));
  }
  return name;
}

absl::StatusOr<std::vector<std::string>> RoBinds(const PolicyFile& file, const Entry& e,
                                                 absl::string_view key) {
  auto binds = file.StringList(e, key);
  if (!binds.ok()) return binds.status();
  std::vector<std::string> out;
  for (size_t i = 0; i < binds->size(); ++i) {
    const auto& [path, node] = (*binds)[i];
    if (path.empty() || path[0] != '/' ||
        absl::StrContains(absl::StrCat(path, "/"), "/../")) {
      return file.Error(node, absl::StrCat(key, "[", i, "]"),
                        absl::StrCat("must be an absolute path without '..', not '", path,
                                     "'"));
    }
    out.push_back(path);
  }
  return out;
}

// An argv template (`command:`, `compile.command:`, `version_command:`): a non-empty
// list whose first element is an absolute path or a placeholder in `placeholders`;
// each "{name}" in an element is replaced by placeholders' value (a "{" that starts no
// known placeholder is an error, so a typo cannot reach a compiler's command line).
absl::StatusOr<std::vector<std::string>> Command(
    const PolicyFile& file, const Entry& e, absl::string_view key,
    const std::vector<std::pair<std::string, std::string>>& placeholders) {
  auto items = file.StringList(e, key);
  if (!items.ok()) return items.status();
  if (items->empty()) return file.Error(e, key, "must not be empty");
  std::vector<std::string> argv;
  for (size_t i = 0; i < items->size(); ++i) {
    const auto& [text, node] = (*items)[i];
    std::string out;
    for (size_t at = 0; at < text.size();) {
      if (text[at] != '{') {
        out.push_back(text[at++]);
        continue;
      }
      bool matched = false;
      for (const auto& [name, value] : placeholders) {
        if (text.compare(at, name.size(), name) == 0) {
          out += value;
          at += name.size();
          matched = true;
          break;
        }
      }
      if (!matched) {
        std::vector<std::string> names;
        for (const auto& [name, value] : placeholders) names.push_back(name);
        return file.Error(node, absl::StrCat(key, "[", i, "]"),
                          absl::StrCat("unknown placeholder in '", text, "' (known: ",
                                       names.empty() ? "none" : absl::StrJoin(names, ", "),
                                       ")"));
      }
    }
    argv.push_back(std::move(out));
  }
  if (argv[0].empty() || argv[0][0] != '/') {
    return file.Error((*items)[0].second, absl::StrCat(key, "[0]"),
                      absl::StrCat("must be an absolute path, not '", argv[0],
                                   "' (a PATH lookup could pick a different program)"));
  }
  return argv;
}

absl::StatusOr<std::vector<std::string>> Names(const PolicyFile& file, const Entry& e,
                                               absl::string_view key) {
  auto items = file.StringList(e, key);
  if (!items.ok()) return items.status();
  std::vector<std::string> out;
  for (size_t i = 0; i < items->size(); ++i) {
    const auto& [text, node] = (*items)[i];
    if (text.empty()) {
      return file.Error(node, absl::StrCat(key, "[", i, "]"), "must not be empty");
    }
    out.push_back(text);
  }
  return out;
}

absl::Status LoadPch(const PolicyFile& file, const Entry& e, CompilePolicy& c) {
  static constexpr std::array<absl::string_view, 3> kKeys = {"headers", "command", "flags"};
  absl::StatusOr<Entries> entries = file.Mapping(e, e.value, "compile.pch", kKeys);
  if (!entries.ok()) return entries.status();
  for (absl::string_view key : kKeys) {
    if (Find(*entries, key) == nullptr) {
      return file.Error(e, Sub("compile.pch", key), "required key is missing");
    }
  }
  absl::StatusOr<std::vector<std::string>> headers =
      Names(file, *Find(*entries, "headers"), "compile.pch.headers");
  if (!headers.ok()) return headers.status();
  for (size_t i = 0; i < headers->size(); ++i) {
    const std::string& h = (*headers)[i];
    if (h.find_first_of("<>\" \n") != std::string::npos) {
      return file.Error(Find(*entries, "headers")->value[i],
                        absl::StrCat("compile.pch.headers[", i, "]"),
                        absl::StrCat("'", h, "' is not a header name like 'vector'"));
    }
  }
  c.pch_headers = *std::move(headers);
  absl::StatusOr<std::vector<std::string>> command =
      Command(file, *Find(*entries, "command"), "compile.pch.command",
              {{"{file}", kPchHeader}, {"{artefact}", absl::StrCat(kPchHeader, ".gch")}});
  if (!command.ok()) return command.status();
  c.pch_command = *std::move(command);
  absl::StatusOr<std::vector<std::string>> flags =
      Names(file, *Find(*entries, "flags"), "compile.pch.flags");
  if (!flags.ok()) return flags.status();
  c.pch_flags = *std::move(flags);
  return absl::OkStatus();
}

absl::Status LoadCompile(const PolicyFile& file, const Entry& e, const Policy& policy,
                         RuntimePolicy& runtime) {
  static constexpr std::array<absl::string_view, 7> kKeys = {
      "command", "artefact", "seccomp_profile", "limits", "ro_binds", "env", "pch"};
  absl::StatusOr<Entries> entries = file.Mapping(e, e.value, "compile", kKeys);
  if (!entries.ok()) return entries.status();
  CompilePolicy& c = runtime.compile;
  absl::StatusOr<std::string> artefact =
      WorkDirFileName(file, *entries, e.value, "compile", "artefact");
  if (!artefact.ok()) return artefact.status();
  if (*artefact == runtime.file_name) {
    return file.Error(*Find(*entries, "artefact"), "compile.artefact",
                      "must differ from file_name (the compiler would overwrite its source)");
  }
  c.artefact = *artefact;
  absl::StatusOr<const Entry*> command =
      file.Required(*entries, e.value, "compile", "command");
  if (!command.ok()) return command.status();
  absl::StatusOr<std::vector<std::string>> argv =
      Command(file, **command, "compile.command", {{"{file}", runtime.file_name}});
  if (!argv.ok()) return argv.status();
  c.command = *std::move(argv);
  absl::StatusOr<std::string> profile = ProfileName(file, policy, *entries, e.value, "compile");
  if (!profile.ok()) return profile.status();
  if (!policy.seccomp_profiles.at(*profile).allow_any_exec) {
    return file.Error(*Find(*entries, "seccomp_profile"), "compile.seccomp_profile",
                      absl::StrCat("profile '", *profile,
                                   "' must set allow_any_exec: true (the compile shell "
                                   "execs the compiler, which execs its own passes)"));
  }
  c.seccomp_profile = *profile;
  c.limits = policy.default_limits;
  if (const Entry* l = Find(*entries, "limits")) {
    if (absl::Status s = file.ApplyLimits(*l, "compile.limits", c.limits); !s.ok()) return s;
  }
  c.ro_binds = runtime.ro_binds;
  if (const Entry* b = Find(*entries, "ro_binds")) {
    absl::StatusOr<std::vector<std::string>> binds = RoBinds(file, *b, "compile.ro_binds");
    if (!binds.ok()) return binds.status();
    c.ro_binds = *std::move(binds);
  }
  c.env_set = runtime.env_set;
  c.env_allow = runtime.env_allow;
  if (const Entry* env = Find(*entries, "env")) {
    c.env_set.clear();
    c.env_allow.clear();
    if (absl::Status s = LoadEnv(file, *env, "compile.env", c.env_set, c.env_allow); !s.ok()) {
      return s;
    }
  }
  if (const Entry* pch = Find(*entries, "pch")) {
    if (absl::Status s = LoadPch(file, *pch, c); !s.ok()) return s;
  }
  runtime.has_compile = true;
  return absl::OkStatus();
}

// The statuses a self-test program may expect (besides "pass" and "fail").
constexpr std::array<absl::string_view, 8> kSelfTestStatuses = {
    "ok",           "nonzero_exit", "signaled",     "cpu_timeout",
    "wall_timeout", "memory_limit", "output_limit", "syscall_violation"};

absl::Status LoadSelfTest(const PolicyFile& file, const Entry& e, RuntimePolicy& runtime) {
  std::vector<absl::string_view> known = {"pass", "fail"};
  known.insert(known.end(), kSelfTestStatuses.begin(), kSelfTestStatuses.end());
  absl::StatusOr<Entries> entries = file.Mapping(e, e.value, "self_test", known);
  if (!entries.ok()) return entries.status();
  for (const char* required : {"pass", "fail"}) {
    if (Find(*entries, required) == nullptr) {
      return file.Error(e, Sub("self_test", required),
                        "required key is missing (a known-pass and a known-fail program)");
    }
  }
  for (const auto& [name, program] : *entries) {
    absl::StatusOr<std::string> source =
        file.NonEmptyString(program, Sub("self_test", name));
    if (!source.ok()) return source.status();
    runtime.self_test.emplace_back(name, *std::move(source));
  }
  return absl::OkStatus();
}

// `verdict:` is a rule's name (`exit_status`, `harness`) or a mapping that names the rule
// and what else a pass needs: `{rule: exit_status, require_silence: [stderr]}`.
absl::Status LoadVerdict(const PolicyFile& file, const Entry& e, RuntimePolicy& runtime) {
  auto parse_rule = [&](const Entry& at, absl::string_view key) -> absl::Status {
    absl::StatusOr<std::string> rule = file.String(at, key);
    if (!rule.ok()) return rule.status();
    if (*rule == "exit_status") {
      runtime.verdict = VerdictRule::kExitStatus;
    } else if (*rule == "harness") {
      runtime.verdict = VerdictRule::kHarness;
    } else {
      return file.Error(at, key,
                        absl::StrCat("unknown rule '", *rule,
                                     "' (expected exit_status or harness)"));
    }
    return absl::OkStatus();
  };
  if (!e.value.IsMap()) return parse_rule(e, "verdict");

  static constexpr std::array<absl::string_view, 2> kKeys = {"rule", "require_silence"};
  absl::StatusOr<Entries> entries = file.Mapping(e, e.value, "verdict", kKeys);
  if (!entries.ok()) return entries.status();
  absl::StatusOr<const Entry*> rule = file.Required(*entries, e.value, "verdict", "rule");
  if (!rule.ok()) return rule.status();
  if (absl::Status s = parse_rule(**rule, "verdict.rule"); !s.ok()) return s;

  const Entry* silence = Find(*entries, "require_silence");
  if (silence == nullptr) return absl::OkStatus();
  if (runtime.verdict != VerdictRule::kExitStatus) {
    return file.Error(*silence, "verdict.require_silence",
                      "only with rule: exit_status (the harness's record decides a "
                      "harness run, whatever it prints)");
  }
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> streams =
      file.StringList(*silence, "verdict.require_silence");
  if (!streams.ok()) return streams.status();
  if (streams->empty()) {
    return file.Error(*silence, "verdict.require_silence",
                      "must name stdout, stderr or both (leave the key out for neither)");
  }
  for (size_t i = 0; i < streams->size(); ++i) {
    const auto& [stream, node] = (*streams)[i];
    const std::string key = absl::StrCat("verdict.require_silence[", i, "]");
    bool* flag = stream == "stdout"   ? &runtime.require_silence.on_stdout
                 : stream == "stderr" ? &runtime.require_silence.on_stderr
                                      : nullptr;
    if (flag == nullptr) {
      return file.Error(node, key,
                        absl::StrCat("unknown stream '", stream, "' (expected stdout or stderr)"));
    }
    if (*flag) return file.Error(node, key, absl::StrCat("'", stream, "' is listed twice"));
    *flag = true;
  }
  return absl::OkStatus();
}

absl::Status LoadRuntimeYaml(const PolicyFile& file, Policy& policy) {
  static constexpr std::array<absl::string_view, 17> kKeys = {
      "name",     "interpreter", "flags",           "file_name", "env",
      "seccomp_profile", "ro_binds", "limits",      "zygote_preload", "command",
      "compile",  "version_command", "verdict",     "aliases",   "extensions",
      "packages", "self_test"};
  absl::StatusOr<YAML::Node> root = file.Parse();
  if (!root.ok()) return root.status();
  absl::StatusOr<Entries> entries = file.Root(*root, kKeys);
  if (!entries.ok()) return entries.status();

  RuntimePolicy runtime;
  runtime.source = file.path();
  runtime.limits = policy.default_limits;

  absl::StatusOr<const Entry*> name =
      file.Required(*entries, *root, "", "name");
  if (!name.ok()) return name.status();
  absl::StatusOr<std::string> name_value = file.NonEmptyString(**name, "name");
  if (!name_value.ok()) return name_value.status();
  if (!IsRuntimeName(*name_value)) {
    return file.Error(**name, "name",
                      "use letters, digits, '_', '-' and '.' only");
  }
  runtime.name = *name_value;
  if (policy.Runtime(runtime.name).ok()) {
    return file.Error(
        **name, "name",
        absl::StrCat("runtime '", runtime.name, "' is already defined in ",
                     (*policy.Runtime(runtime.name))->source));
  }

  absl::StatusOr<const Entry*> interpreter =
      file.Required(*entries, *root, "", "interpreter");
  if (!interpreter.ok()) return interpreter.status();
  absl::StatusOr<std::string> interpreter_value =
      file.NonEmptyString(**interpreter, "interpreter");
  if (!interpreter_value.ok()) return interpreter_value.status();
  if ((*interpreter_value)[0] != '/') {
    return file.Error(
        **interpreter, "interpreter",
        absl::StrCat("must be an absolute path, not '", *interpreter_value,
                     "' (a PATH lookup could pick a different interpreter)"));
  }
  runtime.interpreter = *interpreter_value;

  if (const Entry* e = Find(*entries, "flags")) {
    auto flags = file.StringList(*e, "flags");
    if (!flags.ok()) return flags.status();
    for (auto& [flag, node] : *flags) runtime.flags.push_back(flag);
  }

  absl::StatusOr<std::string> file_name_value =
      WorkDirFileName(file, *entries, *root, "", "file_name");
  if (!file_name_value.ok()) return file_name_value.status();
  runtime.file_name = *file_name_value;

  if (const Entry* e = Find(*entries, "env")) {
    if (absl::Status s = LoadEnv(file, *e, "env", runtime.env_set, runtime.env_allow);
        !s.ok()) {
      return s;
    }
  }

  absl::StatusOr<std::string> profile_value = ProfileName(file, policy, *entries, *root, "");
  if (!profile_value.ok()) return profile_value.status();
  runtime.seccomp_profile = *profile_value;

  if (const Entry* e = Find(*entries, "ro_binds")) {
    absl::StatusOr<std::vector<std::string>> binds = RoBinds(file, *e, "ro_binds");
    if (!binds.ok()) return binds.status();
    runtime.ro_binds = *std::move(binds);
  }

  if (const Entry* e = Find(*entries, "limits")) {
    if (absl::Status s = file.ApplyLimits(*e, "limits", runtime.limits);
        !s.ok()) {
      return s;
    }
  }

  // After env and ro_binds: the compile step inherits them unless it says otherwise.
  if (const Entry* e = Find(*entries, "compile")) {
    if (absl::Status s = LoadCompile(file, *e, policy, runtime); !s.ok()) return s;
  }

  if (const Entry* e = Find(*entries, "command")) {
    std::vector<std::pair<std::string, std::string>> placeholders = {
        {"{file}", runtime.file_name}};
    if (runtime.has_compile) {
      placeholders.emplace_back(
          "{artefact}", absl::StrCat(sandbox::kSandboxWorkDir, "/", runtime.compile.artefact));
    }
    absl::StatusOr<std::vector<std::string>> argv = Command(file, *e, "command", placeholders);
    if (!argv.ok()) return argv.status();
    if (!runtime.flags.empty()) {
      return file.Error(*e, "command", "give either command or flags (command has the flags)");
    }
    runtime.command = *std::move(argv);
  } else if (runtime.has_compile) {
    return file.Error(*root, "command",
                      "required with compile: (how the artefact runs, e.g. [\"{artefact}\"])");
  } else {
    runtime.command.push_back(runtime.interpreter);
    runtime.command.insert(runtime.command.end(), runtime.flags.begin(), runtime.flags.end());
    runtime.command.push_back(runtime.file_name);
  }

  if (const Entry* e = Find(*entries, "verdict")) {
    if (absl::Status s = LoadVerdict(file, *e, runtime); !s.ok()) return s;
  }
  if (const Entry* e = Find(*entries, "version_command")) {
    absl::StatusOr<std::vector<std::string>> argv =
        Command(file, *e, "version_command", {});
    if (!argv.ok()) return argv.status();
    if (!runtime.has_compile && argv->front() != runtime.command.front()) {
      return file.Error(*e, "version_command",
                        absl::StrCat("must start with command[0] '", runtime.command.front(),
                                     "': the run profile execs nothing else"));
    }
    runtime.version_command = *std::move(argv);
  } else if (runtime.verdict != VerdictRule::kHarness) {
    return file.Error(*root, "version_command",
                      "required key is missing (prints the toolchain's version: part of "
                      "every cache key)");
  }

  struct NameList {
    absl::string_view key;
    std::vector<std::string>* out;
  };
  for (const NameList& l : {NameList{"aliases", &runtime.aliases},
                            NameList{"extensions", &runtime.extensions},
                            NameList{"packages", &runtime.packages}}) {
    const Entry* e = Find(*entries, l.key);
    if (e == nullptr) continue;
    absl::StatusOr<std::vector<std::string>> names = Names(file, *e, l.key);
    if (!names.ok()) return names.status();
    *l.out = *std::move(names);
  }
  for (size_t i = 0; i < runtime.aliases.size(); ++i) {
    if (policy.Runtime(runtime.aliases[i]).ok()) {
      return file.Error(Find(*entries, "aliases")->value[i], absl::StrCat("aliases[", i, "]"),
                        absl::StrCat("'", runtime.aliases[i], "' already names runtime '",
                                     (*policy.Runtime(runtime.aliases[i]))->name, "'"));
    }
  }
  for (size_t i = 0; i < runtime.extensions.size(); ++i) {
    const std::string& ext = runtime.extensions[i];
    const YAML::Node node = Find(*entries, "extensions")->value[i];
    const std::string key = absl::StrCat("extensions[", i, "]");
    if (ext[0] != '.' || ext.size() < 2 || absl::StrContains(ext, '/')) {
      return file.Error(node, key, absl::StrCat("'", ext, "' is not an extension like \".cpp\""));
    }
    for (const auto& [other_name, other] : policy.runtimes) {
      if (std::find(other.extensions.begin(), other.extensions.end(), ext) !=
          other.extensions.end()) {
        return file.Error(node, key,
                          absl::StrCat("'", ext, "' already belongs to runtime '", other_name,
                                       "'"));
      }
    }
  }

  if (const Entry* e = Find(*entries, "self_test")) {
    if (absl::Status s = LoadSelfTest(file, *e, runtime); !s.ok()) return s;
  }

  if (const Entry* e = Find(*entries, "zygote_preload")) {
    if (runtime.has_compile || runtime.verdict != VerdictRule::kHarness) {
      return file.Error(*e, "zygote_preload",
                        "only for a Python runtime (verdict: harness, no compile step)");
    }
    auto modules = file.StringList(*e, "zygote_preload");
    if (!modules.ok()) return modules.status();
    for (size_t i = 0; i < modules->size(); ++i) {
      const auto& [module, node] = (*modules)[i];
      const bool valid =
          !module.empty() && module.front() != '.' && module.back() != '.' &&
          module.find("..") == std::string::npos &&
          std::all_of(module.begin(), module.end(), [](char ch) {
            return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '_' ||
                   ch == '.';
          });
      if (!valid) {
        return file.Error(node, absl::StrCat("zygote_preload[", i, "]"),
                          absl::StrCat("'", module, "' is not a module name"));
      }
      runtime.zygote_preload.push_back(module);
    }
    runtime.zygote = true;
  }

  policy.runtimes.emplace(runtime.name, std::move(runtime));
  return absl::OkStatus();
}

using LoadFn = absl::Status (*)(const PolicyFile&, Policy&,
                                std::map<std::string, std::string>&);

// Runs one loader step. Node accessors only throw on misuse, but whatever
// yaml-cpp or the standard library throws becomes an error naming the file
// rather than escaping into the caller.
absl::Status Guarded(LoadFn load, const PolicyFile& file, Policy& policy,
                     std::map<std::string, std::string>& profile_files) {
  try {
    return load(file, policy, profile_files);
  } catch (const YAML::Exception& e) {
    return file.ErrorAtMark(e.mark, "", e.msg);
  } catch (const std::exception& e) {
    return file.ErrorAtMark(YAML::Mark(), "", e.what());
  }
}

std::string ExecutableDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return exe.parent_path().string();
}

}  // namespace

absl::StatusOr<const RuntimePolicy*> Policy::Runtime(
    const std::string& name) const {
  auto it = runtimes.find(name);
  if (it != runtimes.end()) return &it->second;
  for (const auto& [n, r] : runtimes) {
    if (std::find(r.aliases.begin(), r.aliases.end(), name) != r.aliases.end()) return &r;
  }
  std::vector<std::string> known;
  for (const auto& [n, r] : runtimes) known.push_back(n);
  return absl::NotFoundError(absl::StrCat(
      "unknown runtime '", name, "' (known: ", absl::StrJoin(known, ", "),
      "; policies from ", dir, ")"));
}

absl::StatusOr<const RuntimePolicy*> Policy::RuntimeForFile(const std::string& path) const {
  const std::string base = fs::path(path).filename().string();
  const size_t dot = base.rfind('.');
  const std::string ext = dot == std::string::npos || dot == 0 ? "" : base.substr(dot);
  std::vector<std::string> known;
  for (const auto& [n, r] : runtimes) {
    for (const std::string& e : r.extensions) {
      if (e == ext) return &r;
      known.push_back(absl::StrCat(e, " (", n, ")"));
    }
  }
  return absl::NotFoundError(absl::StrCat(
      path, ": ", ext.empty() ? "no extension" : absl::StrCat("unknown extension '", ext, "'"),
      " (known: ", absl::StrJoin(known, ", "), "); pass --language"));
}

absl::StatusOr<Policy> LoadPolicy(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(
        "policy directory '", dir,
        "' does not exist (pass one explicitly or set FATHOM_POLICIES)"));
  }
  Policy policy;
  policy.dir = dir;
  const fs::path base(dir);

  // Every file is read before any is interpreted, so the hash covers exactly
  // what is loaded.
  std::vector<std::pair<std::string, PolicyFile>>
      files;  // by path relative to `dir`
  std::vector<std::string> relative = {"sandbox.yaml"};
  for (const char* sub : {"runtimes", "seccomp"}) {
    absl::StatusOr<std::vector<std::string>> names = YamlFilesIn(base / sub);
    if (!names.ok()) return names.status();
    for (const std::string& n : *names)
      relative.push_back(absl::StrCat(sub, "/", n));
  }
  std::sort(relative.begin(), relative.end());
  if (!fs::exists(base / "sandbox.yaml", ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat((base / "sandbox.yaml").string(),
                     ": missing (every policy directory has one)"));
  }
  Fnv1a64 hash;
  for (const std::string& rel : relative) {
    absl::StatusOr<PolicyFile> file =
        ReadPolicyFile(base / rel, (base / rel).string());
    if (!file.ok()) return file.status();
    // Path and size delimit each file, so moving bytes between files changes
    // the hash.
    hash.Update(rel);
    hash.Update(absl::string_view("\0", 1));
    hash.Update(absl::StrCat(file->bytes().size()));
    hash.Update(absl::string_view("\0", 1));
    hash.Update(file->bytes());
    files.emplace_back(rel, *std::move(file));
  }
  policy.hash = hash.Hex();

  auto by_prefix = [&](absl::string_view prefix) {
    std::vector<const PolicyFile*> out;
    for (const auto& [rel, f] : files) {
      if (absl::StartsWith(rel, prefix)) out.push_back(&f);
    }
    return out;
  };
  // Order matters: runtimes overlay sandbox.yaml's limits and name seccomp
  // profiles.
  std::map<std::string, std::string> profile_files;
  const std::vector<std::pair<absl::string_view, LoadFn>> steps = {
      {"sandbox.yaml",
       [](const PolicyFile& f, Policy& p, std::map<std::string, std::string>&) {
         return LoadSandboxYaml(f, p);
       }},
      {"seccomp/", LoadSeccompYaml},
      {"runtimes/",
       [](const PolicyFile& f, Policy& p, std::map<std::string, std::string>&) {
         return LoadRuntimeYaml(f, p);
       }},
  };
  for (const auto& [prefix, load] : steps) {
    for (const PolicyFile* f : by_prefix(prefix)) {
      if (absl::Status s = Guarded(load, *f, policy, profile_files); !s.ok()) {
        return s;
      }
    }
  }
  return policy;
}

std::string DefaultPolicyDir() {
  if (const char* env = std::getenv("FATHOM_POLICIES");
      env != nullptr && env[0] != '\0') {
    return env;
  }
  const std::string exe_dir = ExecutableDir();
  if (!exe_dir.empty()) {
    std::error_code ec;
    // build/fathom next to the source tree's policies/, or an unpacked install
    // tree.
    for (const fs::path& candidate : {fs::path(exe_dir) / ".." / "policies",
                                      fs::path(exe_dir) / "policies"}) {
      if (fs::is_directory(candidate, ec)) {
        return candidate.lexically_normal().string();
      }
    }
  }
  return "/usr/share/fathom/policies";
}

absl::StatusOr<PreparedRuntime> PrepareRuntime(const Policy& policy,
                                               const std::string& name,
                                               bool with_seccomp) {
  absl::StatusOr<const RuntimePolicy*> runtime = policy.Runtime(name);
  if (!runtime.ok()) return runtime.status();
  PreparedRuntime prepared;
  prepared.policy = *runtime;
  if (!with_seccomp) return prepared;
  auto profile = policy.seccomp_profiles.find((*runtime)->seccomp_profile);
  if (profile == policy.seccomp_profiles.end()) {
    // LoadPolicy rejects dangling names; only a hand-built Policy gets here.
    return absl::FailedPreconditionError(
        absl::StrCat("runtime '", name, "' names a missing seccomp profile '",
                     (*runtime)->seccomp_profile, "'"));
  }
  absl::StatusOr<std::shared_ptr<const sandbox::SeccompFilter>> filter =
      sandbox::CompileSeccomp(profile->second, MakeRunSpec(prepared, "", {}).argv.front());
  if (!filter.ok()) return filter.status();
  prepared.filter = *std::move(filter);
  if ((*runtime)->has_compile) {
    const std::string& compile_profile = (*runtime)->compile.seccomp_profile;
    auto cp = policy.seccomp_profiles.find(compile_profile);
    if (cp == policy.seccomp_profiles.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("runtime '", name, "' names a missing seccomp profile '",
                       compile_profile, "'"));
    }
    absl::StatusOr<std::shared_ptr<const sandbox::SeccompFilter>> compile_filter =
        sandbox::CompileSeccomp(cp->second, kCompileShell);
    if (!compile_filter.ok()) return compile_filter.status();
    prepared.compile_filter = *std::move(compile_filter);
  }
  if ((*runtime)->zygote) {
    absl::StatusOr<sandbox::ZygoteSeccomp> zygote =
        sandbox::CompileZygoteSeccomp(profile->second);
    if (!zygote.ok()) return zygote.status();
    prepared.zygote_child_filter = std::move(zygote->child);
    prepared.zygote_filter_bpf = std::move(zygote->zygote_bpf);
    prepared.program_can_create_ipc =
        profile->second.default_action == sandbox::SeccompAction::kAllow;
    for (const std::string& name : profile->second.allow) {
      for (const char* creates : {"shmget", "semget", "msgget", "mq_open"}) {
        if (name == creates) prepared.program_can_create_ipc = true;
      }
    }
  }
  return prepared;
}

sandbox::ZygoteOptions MakeZygoteOptions(const PreparedRuntime& runtime, int slots) {
  const RuntimePolicy& policy = *runtime.policy;
  sandbox::ZygoteOptions opts;
  opts.command.push_back(policy.interpreter);
  opts.command.insert(opts.command.end(), policy.flags.begin(), policy.flags.end());
  // The environment and binds every program of this runtime gets.
  sandbox::RunSpec shape = MakeRunSpec(runtime, "", policy.limits);
  opts.env = std::move(shape.env);
  opts.ro_binds = std::move(shape.ro_binds);
  opts.fresh_filter = runtime.filter;
  opts.child_filter = runtime.filter != nullptr ? runtime.zygote_child_filter : nullptr;
  if (opts.child_filter != nullptr) {
    opts.zygote_filter_bpf = runtime.zygote_filter_bpf;
    opts.per_program_ipc_namespace = runtime.program_can_create_ipc;
  }
  opts.preload = policy.zygote_preload;
  opts.usual_script = policy.file_name;
  opts.slots = std::max(1, slots);
  return opts;
}

namespace {

std::vector<std::string> EnvList(const std::map<std::string, std::string>& env_set,
                                 const std::vector<std::string>& env_allow) {
  std::map<std::string, std::string> env = env_set;
  for (const std::string& name : env_allow) {
    if (const char* value = std::getenv(name.c_str()); value != nullptr) {
      env.emplace(name, value);
    }
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(absl::StrCat(k, "=", v));
  return out;
}

// The compile shell's script: the command's stdout joins its diagnostics on stderr (so
// that stdout carries the artefact alone), and only a command that succeeded has its
// artefact ($0) sent. `exec` keeps no shell waiting behind cat.
constexpr char kCompileScript[] = "\"$@\" >&2 || exit $?; exec /bin/cat -- \"$0\"";

}  // namespace

sandbox::RunSpec MakeRunSpec(const PreparedRuntime& runtime,
                             std::string program,
                             const sandbox::Limits& limits) {
  const RuntimePolicy& policy = *runtime.policy;
  sandbox::RunSpec spec;
  spec.argv = policy.command;
  if (spec.argv.empty()) {  // a RuntimePolicy built by hand, not loaded
    spec.argv.push_back(policy.interpreter);
    spec.argv.insert(spec.argv.end(), policy.flags.begin(), policy.flags.end());
    spec.argv.push_back(policy.file_name);
  }
  spec.env = EnvList(policy.env_set, policy.env_allow);
  spec.files.push_back({policy.file_name, std::move(program)});
  spec.limits = limits;
  spec.ro_binds = policy.ro_binds;
  spec.seccomp = runtime.filter;
  return spec;
}

namespace {

// `command` through the compile shell, `artefact` its output, `file` the one input.
sandbox::RunSpec CompileShellSpec(const PreparedRuntime& runtime,
                                  const std::vector<std::string>& command,
                                  const std::string& artefact, sandbox::File file) {
  const CompilePolicy& compile = runtime.policy->compile;
  sandbox::RunSpec spec;
  spec.argv = {kCompileShell, "-c", kCompileScript, artefact};
  spec.argv.insert(spec.argv.end(), command.begin(), command.end());
  spec.env = EnvList(compile.env_set, compile.env_allow);
  spec.files.push_back(std::move(file));
  spec.limits = compile.limits;
  spec.ro_binds = compile.ro_binds;
  spec.seccomp = runtime.compile_filter;
  return spec;
}

}  // namespace

sandbox::RunSpec MakeCompileSpec(const PreparedRuntime& runtime, std::string source) {
  const RuntimePolicy& policy = *runtime.policy;
  return CompileShellSpec(runtime, policy.compile.command, policy.compile.artefact,
                          {policy.file_name, std::move(source)});
}

std::string PchHeaderText(const CompilePolicy& compile) {
  std::string out;
  for (const std::string& h : compile.pch_headers) absl::StrAppend(&out, "#include <", h, ">\n");
  return out;
}

sandbox::RunSpec MakePchSpec(const PreparedRuntime& runtime) {
  const CompilePolicy& compile = runtime.policy->compile;
  return CompileShellSpec(runtime, compile.pch_command, absl::StrCat(kPchHeader, ".gch"),
                          {kPchHeader, PchHeaderText(compile)});
}

sandbox::RunSpec MakeArtefactRunSpec(const PreparedRuntime& runtime, std::string artefact,
                                     const sandbox::Limits& limits) {
  const RuntimePolicy& policy = *runtime.policy;
  sandbox::RunSpec spec = MakeRunSpec(runtime, "", limits);
  spec.files.clear();
  spec.files.push_back({policy.compile.artefact, std::move(artefact), /*executable=*/true});
  return spec;
}

sandbox::RunSpec MakeVersionSpec(const PreparedRuntime& runtime,
                                 const sandbox::Limits& limits) {
  const RuntimePolicy& policy = *runtime.policy;
  sandbox::RunSpec spec;
  if (policy.has_compile) {
    // The compile profile execs anything, so the shell runs the version command too
    // (the filter matches argv[0] to the compile shell).
    spec = MakeCompileSpec(runtime, "");
    spec.argv = {kCompileShell, "-c", "exec \"$@\"", "version"};
    spec.argv.insert(spec.argv.end(), policy.version_command.begin(),
                     policy.version_command.end());
    spec.limits.cpu_time_ms = std::max(spec.limits.cpu_time_ms, limits.cpu_time_ms);
    return spec;
  }
  spec = MakeRunSpec(runtime, "", limits);
  spec.files.clear();
  spec.argv = policy.version_command;  // argv[0] is command[0] (checked at load)
  return spec;
}

absl::Status CheckRuntimeLayers(const RuntimePolicy& runtime, const sandbox::LayerSet& layers) {
  if (runtime.has_compile && !layers.Has(sandbox::Layer::kMountNs)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "runtime '", runtime.name, "' needs the mount_ns layer (its programs run from the "
        "sandbox's own /tmp), which this host does not give (see `fathom doctor`)"));
  }
  return absl::OkStatus();
}

std::vector<std::string> MissingToolchainPaths(const RuntimePolicy& runtime) {
  std::vector<std::string> paths = {runtime.interpreter};
  const std::string work_dir = absl::StrCat(sandbox::kSandboxWorkDir, "/");
  for (const auto* argv : {&runtime.command, &runtime.compile.command,
                           &runtime.version_command}) {
    if (!argv->empty() && !absl::StartsWith(argv->front(), work_dir)) {
      paths.push_back(argv->front());
    }
  }
  if (runtime.has_compile) paths.push_back(kCompileShell);
  std::vector<std::string> missing;
  for (const std::string& p : paths) {
    if (access(p.c_str(), X_OK) != 0 &&
        std::find(missing.begin(), missing.end(), p) == missing.end()) {
      missing.push_back(p);
    }
  }
  return missing;
}

}  // namespace fathom::grader
