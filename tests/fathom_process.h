// Runs the real `fathom` binary (and other programs: nginx) from end-to-end tests
// (header-only; StartFathom exists when the test target defines FATHOM_BINARY).
#ifndef FATHOM_TESTS_FATHOM_PROCESS_H_
#define FATHOM_TESTS_FATHOM_PROCESS_H_

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace fathom::e2e {

// Starts `binary` with `args`, stdout and stderr to the file `log` (stderr to `err_log`
// instead when given), in our environment with the "KEY=value" entries of `env` added or
// replaced. Returns the pid (reap it with
// WaitExit). Everything is allocated before fork: the child only calls async-signal-safe
// functions.
inline pid_t StartProgram(const std::string& binary, const std::vector<std::string>& args,
                          const std::string& log, const std::vector<std::string>& env = {},
                          const std::string& err_log = "") {
  std::string bin = binary;
  std::vector<std::string> argv_copy = args;
  std::vector<char*> argv = {bin.data()};
  for (std::string& a : argv_copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_copy = env;
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    bool replaced = false;
    for (const std::string& o : env_copy) {
      replaced = replaced || entry.compare(0, o.find('=') + 1, o, 0, o.find('=') + 1) == 0;
    }
    if (!replaced) envp.push_back(*e);
  }
  for (std::string& o : env_copy) envp.push_back(o.data());
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) _exit(126);
    dup2(fd, 1);
    if (!err_log.empty()) fd = open(err_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) _exit(126);
    dup2(fd, 2);
    execve(bin.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

#ifdef FATHOM_BINARY
// StartProgram of FATHOM_BINARY.
inline pid_t StartFathom(const std::vector<std::string>& args, const std::string& log,
                         const std::vector<std::string>& env = {},
                         const std::string& err_log = "") {
  return StartProgram(FATHOM_BINARY, args, log, env, err_log);
}
#endif  // FATHOM_BINARY

// Waits for `pid`: its exit code, or 128 + the signal that killed it.
inline int WaitExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The whole file ("" when it cannot be read).
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace fathom::e2e

#endif  // FATHOM_TESTS_FATHOM_PROCESS_H_
