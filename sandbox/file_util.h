// Small file helpers for the sandbox's control files (cgroupfs, /proc/<pid>/*_map).
#ifndef FATHOM_SANDBOX_FILE_UTIL_H_
#define FATHOM_SANDBOX_FILE_UTIL_H_

#include <string>

#include "absl/status/status.h"

namespace fathom::sandbox {

// Writes `value` to the existing file `path` with one write() (control files take a
// value per write). Internal error naming the path, the value and errno on failure.
absl::Status WriteControlFile(const std::string& path, const std::string& value);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_FILE_UTIL_H_
