// A raw ptrace(2) from Go: on the kill list of every profile.
// expect: syscall_violation
// syscall: 101 ptrace
package main

import (
	"syscall"
	"testing"
)

func TestPtrace(t *testing.T) {
	syscall.RawSyscall(syscall.SYS_PTRACE, syscall.PTRACE_TRACEME, 0, 0)
	t.Log("survived")
}
