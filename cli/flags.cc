// Command-line parser on CLI11 (see flags.h).
#include "cli/flags.h"

#include <CLI/CLI.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace fathom::cli {
namespace {

// CLI11 reports a value flag given last without its value as "--name: 1 required TEXT
// missing", and a boolean given "=value" as "name was given a disallowed flag override";
// both name the flag first. flags_test pins these, so a CLI11 that words them otherwise
// fails there rather than in front of a user.
std::string UsageMessage(const CLI::ParseError& e, const std::string& name, bool takes_value) {
  const std::string what = e.what();
  if (takes_value && absl::StartsWith(what, absl::StrCat("--", name, ":"))) {
    return absl::StrCat("--", name, " needs a value");
  }
  if (!takes_value && absl::StartsWith(what, absl::StrCat(name, " was given"))) {
    return absl::StrCat("--", name, " takes no value");
  }
  return "";
}

// CLI11 reads "--name=" as "--name" and takes the next word as the value, so a script's
// "--cache=$EMPTY --json" would set --cache to "--json". Every word ending in '=' gets
// this mark before CLI11 sees it: "--name=" then parses as the value kEmptyMark, which
// Unmark turns into the empty value it always meant, and any other such word (a value or
// a positional) comes back unchanged. A word of the user's that is kEmptyMark itself, or
// ends in '=' and kEmptyMark, would come back changed; no flag value of ours is either.
constexpr char kEmptyMark[] = "\x01";

std::string Unmark(std::string word) {
  if (word == kEmptyMark) return "";
  if (absl::EndsWith(word, absl::StrCat("=", kEmptyMark))) word.pop_back();
  return word;
}

}  // namespace

void Flags::Value(const std::string& name, const std::string& help, bool repeated) {
  specs_[name] = {true, repeated, help};
}

void Flags::Bool(const std::string& name, const std::string& help) {
  specs_[name] = {false, false, help};
}

absl::Status Flags::Parse(int argc, char** argv) {
  CLI::App app;
  app.set_help_flag();  // --help is an ordinary Bool that the command declares
  // Words CLI11 does not know (positionals, unknown flags, "--") stay in order in
  // remaining(), to be sorted out below.
  app.allow_extras();
  std::map<std::string, CLI::Option*> options;
  for (const auto& [name, spec] : specs_) {
    const std::string flag = absl::StrCat("--", name);
    // Every occurrence is collected; "given twice" is decided below, with our message.
    options[name] = spec.takes_value ? app.add_option(flag)->expected(1)->take_all()
                                     : app.add_flag(flag)->disable_flag_override();
  }
  std::vector<std::string> args;  // CLI11 wants them last first
  for (int i = argc - 1; i >= 1; --i) {
    args.push_back(argv[i]);
    if (absl::EndsWith(args.back(), "=")) args.back() += kEmptyMark;
  }
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    for (const auto& [name, spec] : specs_) {
      if (std::string m = UsageMessage(e, name, spec.takes_value); !m.empty()) {
        return absl::InvalidArgumentError(m);
      }
    }
    return absl::InvalidArgumentError(e.what());
  }

  bool flags_done = false;
  for (const std::string& arg : app.remaining()) {
    if (!flags_done && arg == "--") {
      flags_done = true;
    } else if (!flags_done && arg.size() > 2 && arg.rfind("--", 0) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag ", arg.substr(0, arg.find('='))));
    } else {
      positionals_.push_back(Unmark(arg));
    }
  }
  for (const auto& [name, opt] : options) {
    if (opt->count() == 0) continue;
    const Spec& spec = specs_.at(name);
    if (!spec.takes_value) {
      values_[name].assign(opt->count(), "true");
      continue;
    }
    if (!spec.repeated && opt->count() > 1) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " given twice"));
    }
    for (const std::string& v : opt->results()) values_[name].push_back(Unmark(v));
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
    // Some help texts already say so, with more detail ("\n escapes; repeatable").
    const bool say_repeatable = spec.repeated && !absl::StrContains(spec.help, "repeatable");
    absl::StrAppend(&out, left, " ", spec.help, say_repeatable ? " (repeatable)" : "", "\n");
  }
  return out;
}

}  // namespace fathom::cli
