// How the sandbox's child processes report to the parent over the status pipe: a setup
// step that failed (and its errno), notes, and the program's final wait status.
//
// Fixed-size records written with one write() each (atomic on a pipe), so the child needs
// no allocation to report.
#ifndef FATHOM_SANDBOX_CHILD_ERROR_H_
#define FATHOM_SANDBOX_CHILD_ERROR_H_

#include <cstdint>
#include "absl/strings/string_view.h"
#include "absl/strings/string_view.h"

namespace fathom::sandbox {

enum class ChildStage : int32_t {
  kNone = 0,
  kSync,
  kSetGroups,
  kSetGid,
  kSetUid,
  kHostname,
  kMountPrivate,
  kMountRoot,
  kMountBind,
  kMountRemount,
  kMountMkdir,
  kMountSymlink,
  kMountTmpfs,
  kMountProc,
  kWriteFile,
  kPivotRoot,
  kChdir,
  kFork,
  kRlimit,
  kStdio,
  kCapabilities,
  kSeccomp,
  kExec,
  kLandlock,  // Landlock without a mount namespace (sandbox/landlock.h)
};

absl::string_view ChildStageName(ChildStage stage);

struct ChildMessage {
  enum Type : int32_t {
    kSetupError = 1,     // a = stage, b = errno
    kProcUnavailable,    // a = errno of the /proc mount (the run goes on without /proc)
    kExitStatus,         // a = the program's wait status
    kLaidOut,            // a pre-started init has built its root (Sandbox::PrestartPool)
  };
  int32_t type = 0;
  int32_t a = 0;
  int32_t b = 0;
  int32_t c = 0;
};

// Writes one record to `fd`; async-signal-safe.
void SendChildMessage(int fd, int32_t type, int32_t a, int32_t b);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_CHILD_ERROR_H_
