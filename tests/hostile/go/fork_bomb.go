// A fork bomb in Go through the raw fork system call (the runtime never forks itself).
// The first fork() ends the run as a violation before a second process exists.
// expect: syscall_violation
// syscall: 57 fork
package main

import (
	"syscall"
	"testing"
)

func TestForkBomb(t *testing.T) {
	for {
		syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
	}
}
