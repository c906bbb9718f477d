// Policy loader: reads and validates policies/ (sandbox.yaml, runtimes/,
// seccomp/) with yaml-cpp, turning every problem into an InvalidArgument error
// that names file:line:column.
#include "grader/policy/policy.h"

#include <errno.h>
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
  static constexpr std::array<absl::string_view, 10> kKeys = {
      "name",          "default",   "default_errno", "allow",
      "errno",         "kill",      "allow_threads", "allow_process_creation",
      "process_errno", "exec_errno"};
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
        BoolField{"allow_process_creation", &profile.allow_process_creation}}) {
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

absl::Status LoadEnv(const PolicyFile& file, const Entry& env,
                     RuntimePolicy& runtime) {
  static constexpr std::array<absl::string_view, 2> kKeys = {"set", "allow"};
  absl::StatusOr<Entries> entries = file.Mapping(env, env.value, "env", kKeys);
  if (!entries.ok()) return entries.status();
  if (const Entry* set = Find(*entries, "set")) {
    absl::StatusOr<Entries> vars =
        file.Mapping(*set, set->value, "env.set", {});
    if (!vars.ok()) return vars.status();
    for (const auto& [name, var] : *vars) {
      const std::string key = Sub("env.set", name);
      if (!IsEnvName(name)) {
        return file.Error(var.key, key, "not a valid variable name");
      }
      absl::StatusOr<std::string> value = file.String(var, key);
      if (!value.ok()) return value.status();
      runtime.env_set.emplace(name, *value);
    }
  }
  if (const Entry* allow = Find(*entries, "allow")) {
    auto names = file.StringList(*allow, "env.allow");
    if (!names.ok()) return names.status();
    for (size_t i = 0; i < names->size(); ++i) {
      const auto& [name, node] = (*names)[i];
      const std::string key = absl::StrCat("env.allow[", i, "]");
      if (!IsEnvName(name)) {
        return file.Error(node, key, "not a valid variable name");
      }
      if (runtime.env_set.contains(name)) {
        return file.Error(node, key,
                          absl::StrCat("'", name, "' is also in env.set"));
      }
      if (std::find(runtime.env_allow.begin(), runtime.env_allow.end(), name) !=
          runtime.env_allow.end()) {
        return file.Error(node, key,
                          absl::StrCat("'", name, "' is listed twice"));
      }
      runtime.env_allow.push_back(name);
    }
  }
  return absl::OkStatus();
}

absl::Status LoadRuntimeYaml(const PolicyFile& file, Policy& policy) {
  static constexpr std::array<absl::string_view, 9> kKeys = {
      "name",     "interpreter", "flags",         "file_name", "env", "seccomp_profile",
      "ro_binds", "limits",      "zygote_preload"};
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
  if (auto it = policy.runtimes.find(runtime.name);
      it != policy.runtimes.end()) {
    return file.Error(
        **name, "name",
        absl::StrCat("runtime '", runtime.name, "' is already defined in ",
                     it->second.source));
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

  absl::StatusOr<const Entry*> file_name =
      file.Required(*entries, *root, "", "file_name");
  if (!file_name.ok()) return file_name.status();
  absl::StatusOr<std::string> file_name_value =
      file.NonEmptyString(**file_name, "file_name");
  if (!file_name_value.ok()) return file_name_value.status();
  if (absl::StrContains(*file_name_value, '/') || *file_name_value == "." ||
      *file_name_value == "..") {
    return file.Error(**file_name, "file_name",
                      "must be a plain file name without '/'");
  }
  runtime.file_name = *file_name_value;

  if (const Entry* e = Find(*entries, "env")) {
    if (absl::Status s = LoadEnv(file, *e, runtime); !s.ok()) return s;
  }

  absl::StatusOr<const Entry*> profile =
      file.Required(*entries, *root, "", "seccomp_profile");
  if (!profile.ok()) return profile.status();
  absl::StatusOr<std::string> profile_value =
      file.NonEmptyString(**profile, "seccomp_profile");
  if (!profile_value.ok()) return profile_value.status();
  if (!policy.seccomp_profiles.contains(*profile_value)) {
    std::vector<std::string> known;
    for (const auto& [n, p] : policy.seccomp_profiles) known.push_back(n);
    return file.Error(
        **profile, "seccomp_profile",
        absl::StrCat("no seccomp profile named '", *profile_value,
                     "' (known: ", absl::StrJoin(known, ", "), ")"));
  }
  runtime.seccomp_profile = *profile_value;

  if (const Entry* e = Find(*entries, "ro_binds")) {
    auto binds = file.StringList(*e, "ro_binds");
    if (!binds.ok()) return binds.status();
    for (size_t i = 0; i < binds->size(); ++i) {
      const auto& [path, node] = (*binds)[i];
      if (path.empty() || path[0] != '/' ||
          absl::StrContains(absl::StrCat(path, "/"), "/../")) {
        return file.Error(
            node, absl::StrCat("ro_binds[", i, "]"),
            absl::StrCat("must be an absolute path without '..', not '", path,
                         "'"));
      }
      runtime.ro_binds.push_back(path);
    }
  }

  if (const Entry* e = Find(*entries, "limits")) {
    if (absl::Status s = file.ApplyLimits(*e, "limits", runtime.limits);
        !s.ok()) {
      return s;
    }
  }

  if (const Entry* e = Find(*entries, "zygote_preload")) {
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
  std::vector<std::string> known;
  for (const auto& [n, r] : runtimes) known.push_back(n);
  return absl::NotFoundError(absl::StrCat(
      "unknown runtime '", name, "' (known: ", absl::StrJoin(known, ", "),
      "; policies from ", dir, ")"));
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
      sandbox::CompileSeccomp(profile->second, (*runtime)->interpreter);
  if (!filter.ok()) return filter.status();
  prepared.filter = *std::move(filter);
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

sandbox::RunSpec MakeRunSpec(const PreparedRuntime& runtime,
                             std::string program,
                             const sandbox::Limits& limits) {
  const RuntimePolicy& policy = *runtime.policy;
  sandbox::RunSpec spec;
  spec.argv.push_back(policy.interpreter);
  spec.argv.insert(spec.argv.end(), policy.flags.begin(), policy.flags.end());
  spec.argv.push_back(policy.file_name);

  std::map<std::string, std::string> env = policy.env_set;
  for (const std::string& name : policy.env_allow) {
    if (const char* value = std::getenv(name.c_str()); value != nullptr) {
      env.emplace(name, value);
    }
  }
  for (const auto& [k, v] : env) spec.env.push_back(absl::StrCat(k, "=", v));

  spec.files.push_back({policy.file_name, std::move(program)});
  spec.limits = limits;
  spec.ro_binds = policy.ro_binds;
  spec.seccomp = runtime.filter;
  return spec;
}

}  // namespace fathom::grader
