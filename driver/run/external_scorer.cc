// The external scorer command (see external_scorer.h).
#include "driver/run/external_scorer.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "driver/run/readers.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::run {

absl::Status RunScorer(const std::string& command, const std::string& input_path,
                       const std::string& output_path) {
  int in = open(input_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return absl::InternalError(absl::StrCat(input_path, ": ", std::strerror(errno)));
  int out = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    close(in);
    return absl::InternalError(absl::StrCat(output_path, ": ", std::strerror(errno)));
  }
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = fork();
  if (pid == 0) {
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0) _exit(126);
    execv("/bin/sh", argv);
    _exit(127);
  }
  close(in);
  close(out);
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "scorer command '", command, "' ",
      WIFEXITED(status) ? absl::StrCat("exited with status ", WEXITSTATUS(status))
                        : absl::StrCat("was killed by signal ", WTERMSIG(status))));
}

absl::StatusOr<ExternalScore> ParseScoreLine(std::string_view line) {
  absl::StatusOr<nlohmann::json> j = ParseJsonObjectLine(line);
  if (!j.ok()) return j.status();
  ExternalScore s;
  absl::StatusOr<std::string> id = RowId(*j, "id", 0);
  if (!id.ok()) return id.status();
  s.id = *id;
  auto it = j->find("score");
  if (it == j->end()) return absl::InvalidArgumentError("score: missing");
  if (!it->is_number()) {
    return absl::InvalidArgumentError(absl::StrCat("score: expected a number, got ", it->type_name()));
  }
  s.score = it->get<double>();
  return s;
}

}  // namespace fathom::driver::run
