// Command-line parser (see flags.h).
#include "cli/flags.h"

#include "absl/strings/str_cat.h"

namespace fathom::cli {

void Flags::Value(const std::string& name, const std::string& help, bool repeated) {
  specs_[name] = {true, repeated, help};
}

void Flags::Bool(const std::string& name, const std::string& help) {
  specs_[name] = {false, false, help};
}

absl::Status Flags::Parse(int argc, char** argv) {
  bool flags_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (flags_done || arg.size() < 3 || arg.rfind("--", 0) != 0) {
      if (arg == "--") {
        flags_done = true;
        continue;
      }
      positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool has_inline = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline = true;
    }
    auto it = specs_.find(name);
    if (it == specs_.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!it->second.takes_value) {
      if (has_inline) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      values_[name].push_back("true");
      continue;
    }
    if (!has_inline) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = argv[++i];
    }
    auto& v = values_[name];
    if (!it->second.repeated && !v.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " given twice"));
    }
    v.push_back(value);
  }
  return absl::OkStatus();
}

std::string Flags::Get(const std::string& name, const std::string& def) const {
  auto it = values_.find(name);
  return it == values_.end() || it->second.empty() ? def : it->second.back();
}

std::vector<std::string> Flags::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Flags::Help() const {
  std::string out;
  for (const auto& [name, spec] : specs_) {
    std::string left = absl::StrCat("  --", name, spec.takes_value ? " VALUE" : "");
    if (left.size() < 28) left.resize(28, ' ');
    absl::StrAppend(&out, left, " ", spec.help, spec.repeated ? " (repeatable)" : "", "\n");
  }
  return out;
}

}  // namespace fathom::cli
