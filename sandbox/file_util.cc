// Control-file writes (see file_util.h).
#include "sandbox/file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace fathom::sandbox {

absl::Status WriteControlFile(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", path, ": ", strerror(errno)));
  ssize_t n = write(fd, value.data(), value.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return absl::InternalError(
        absl::StrCat("write '", value, "' to ", path, ": ", strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace fathom::sandbox
