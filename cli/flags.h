// The command-line parser shared by the subcommands: --name value, --name=value,
// repeatable flags, booleans, positionals. Flag parsing only; no logic.
//
// CLI11 does the tokenising (both value spellings, "--" ending the flags, "-" as an
// operand). Kept here, because CLI11 does each differently from what our commands print:
// the usage messages ("unknown flag --x", "--x needs a value", "--x given twice", "--x
// takes no value"), single-dash words such as "-x" as positionals (CLI11 rejects them as
// unknown short options), and the one-line-per-flag --help text.
#ifndef FATHOM_CLI_FLAGS_H_
#define FATHOM_CLI_FLAGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace fathom::cli {

class Flags {
 public:
  // Declares a flag taking a value (`repeated` keeps every occurrence).
  void Value(const std::string& name, const std::string& help, bool repeated = false);
  // Declares a boolean flag (present = true).
  void Bool(const std::string& name, const std::string& help);

  // Parses argv[1..]; "-" and anything not starting with "--" are positionals; "--" ends
  // the flags. InvalidArgument names the unknown or incomplete flag. Call once.
  absl::Status Parse(int argc, char** argv);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  bool GetBool(const std::string& name) const { return Has(name); }
  std::string Get(const std::string& name, const std::string& def = "") const;
  std::vector<std::string> GetAll(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // One line per flag, sorted by name, for --help.
  std::string Help() const;

 private:
  struct Spec {
    bool takes_value;
    bool repeated;
    std::string help;
  };
  std::map<std::string, Spec> specs_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
};

}  // namespace fathom::cli

#endif  // FATHOM_CLI_FLAGS_H_
