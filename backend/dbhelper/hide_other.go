//go:build !windows

package dbhelper

import "os/exec"

// hideWindow has nothing to hide outside Windows.
func hideWindow(*exec.Cmd) {}
