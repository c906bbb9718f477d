// Go's os/exec: exec.Command("/bin/sh") forks (syscall.forkExec's raw clone) before it
// execs. The native profile kills process creation: the run ends at that clone, before
// a child exists; /bin/sh is not in the run's binds either.
// expect: syscall_violation
// syscall: 56 clone
package main

import (
	"os/exec"
	"testing"
)

func TestEscape(t *testing.T) {
	out, err := exec.Command("/bin/sh", "-c", "echo escaped").Output()
	t.Log(string(out), err)
}
