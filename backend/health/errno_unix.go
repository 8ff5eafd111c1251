//go:build !windows

package health

import "syscall"

func syscallECONNREFUSED() error { return syscall.ECONNREFUSED }
