// Reading /proc: the run has a fresh /proc of its own pid namespace, so it sees its init
// and itself, nobody else's command lines, and no host secret. It prints what it found.
// expect: ok
// stdout-contains: pids: 1 2
// stdout-contains: secret: unreadable
// stdout-not-contains: {{SECRET_VALUE}}
#include <dirent.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
int main() {
  std::set<int> pids;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      if (int pid = std::atoi(e->d_name); pid > 0) pids.insert(pid);
    }
    closedir(d);
  }
  std::printf("pids:");
  for (int p : pids) std::printf(" %d", p);
  std::printf("\n");
  for (const char* path : {"/proc/1/cmdline", "/proc/self/status", "/proc/mounts"}) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::printf("%s: %zu bytes\n", path, ss.str().size());
  }
  std::ifstream secret("{{SECRET_PATH}}");
  std::stringstream ss;
  ss << secret.rdbuf();
  std::printf("secret: %s\n", secret ? ss.str().c_str() : "unreadable");
}
