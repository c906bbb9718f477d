// User namespace layer: the run's only user is mapped to an unprivileged outside uid
// (65534 when we are root, else our own uid); never host root.
#ifndef FATHOM_SANDBOX_USER_NS_H_
#define FATHOM_SANDBOX_USER_NS_H_

#include <sys/types.h>

#include "absl/status/status.h"

namespace fathom::sandbox {

struct Identity {
  uid_t outside_uid;
  gid_t outside_gid;
  // The ids the program has inside the namespace (equal to the outside ones, so a file's
  // owner reads the same in and out).
  uid_t inside_uid;
  gid_t inside_gid;
};

// 65534/65534 for root; our own ids otherwise. Negative overrides mean "default".
Identity ChooseIdentity(int outside_uid, int outside_gid);

// Parent side: writes /proc/<pid>/{uid_map,setgroups,gid_map} for a child that has just
// entered a new user namespace.
absl::Status WriteIdMaps(pid_t pid, const Identity& id);

// Child side: drops supplementary groups (where allowed) and becomes `id` inside.
// Returns 0 or errno; *stage gets the failed step. Async-signal-safe.
int BecomeInChild(const Identity& id, bool in_user_ns, int* stage);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_USER_NS_H_
