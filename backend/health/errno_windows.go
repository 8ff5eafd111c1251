//go:build windows

package health

import "syscall"

// WSAECONNREFUSED.
func syscallECONNREFUSED() error { return syscall.Errno(10061) }
