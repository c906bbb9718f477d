// YAML files read with file:line:column errors.
#include "grader/policy/yaml_doc.h"

#include <fstream>
#include <iterator>
#include <system_error>

namespace fathom::grader::yaml {

namespace fs = std::filesystem;

absl::StatusOr<File> ReadFile(const fs::path& path, const std::string& shown,
                             uintmax_t max_bytes, absl::string_view kind) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(shown, ": cannot read: ", ec.message()));
  }
  if (size > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        shown, ": file is ", size, " bytes; ", kind, " are at most ", max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat(shown, ": cannot read"));
  }
  return File(shown, std::move(bytes));
}

}  // namespace fathom::grader::yaml
