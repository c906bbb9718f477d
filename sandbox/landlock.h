// Landlock, for runs without a mount namespace. With one, the program gets a private /dev
// that holds only the harmless nodes (sandbox/mounts.cc) and its own pid namespace. Without
// one it walks the host's /dev, whose modes udev decides (Debian leaves /dev/fuse,
// /dev/net/tun and often /dev/kvm open to everyone, so file modes are no boundary), and it
// shares uid 65534 with every other run, so it could read their /proc/<pid>/environ, mem
// and cwd and signal them.
//
// Each such program is therefore confined in its own Landlock domain, which needs no
// privilege and no cgroup:
// - files: every access stays allowed beneath each top-level directory but /dev; under
//   /dev only null, zero, full, random, urandom and the shm directory remain reachable;
// - other runs: a domain cannot ptrace-access (/proc/<pid>/environ, mem, cwd...) a process
//   outside it, so runs cannot reach each other (every Landlock ABI);
// - signals and abstract unix sockets are scoped to the domain (ABI 6, Linux 6.12).
// A kernel without Landlock (before 5.13, or with it left out of the LSM list) keeps the
// host's modes and the shared uid's reach; `fathom doctor` says which holds.
#ifndef FATHOM_SANDBOX_LANDLOCK_H_
#define FATHOM_SANDBOX_LANDLOCK_H_

namespace fathom::sandbox {

// The kernel's Landlock ABI version, 0 when Landlock is unavailable.
int LandlockAbi();

// Confines the calling process (and what it execs) as above, with what `abi` knows.
// Async-signal-safe and allocation-free: it runs in the program between clone and exec.
// Sets no_new_privs, which Landlock requires of an unprivileged caller. Returns 0 or an
// errno.
int ConfineWithLandlockInChild(int abi);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_LANDLOCK_H_
