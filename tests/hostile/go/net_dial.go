// Go's net.Dial to the test's loopback server. socket() fails with EACCES under the
// native profile (and the run's network namespace is empty): the test reports the error
// and fails, the binary exits 1.
// expect: nonzero_exit
// exit-code: 1
// stdout-contains: socket: permission denied
// stdout-not-contains: connected
package main

import (
	"net"
	"testing"
)

func TestDial(t *testing.T) {
	conn, err := net.Dial("tcp", "127.0.0.1:{{PORT}}")
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	t.Log("connected")
}
