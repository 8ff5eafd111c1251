package dbhelper

import (
	"os/exec"
	"syscall"
)

// hideWindow starts the console helper without a console window flashing
// up over the desktop app (CREATE_NO_WINDOW).
func hideWindow(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: 0x08000000}
}
