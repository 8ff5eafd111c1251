// Package desktop integrates Relink with the desktop session: starting at
// login, and remembering where the window was.
package desktop

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"relink/backend/integration"
	"relink/backend/safefile"
)

// HiddenFlag is the argument the login entry passes so Relink starts in
// the tray instead of opening its window.
const HiddenFlag = "--hidden"

// ErrAutostart marks a failure to change "open at login"; the error also
// carries the Problem error.autostart_failed.
var ErrAutostart = errors.New("change open at login")

// Autostart turns "open at login" on and off for one executable. The
// methods are per platform: an XDG autostart entry on Linux and other Unix
// desktops, a LaunchAgent on macOS, the Run registry key on Windows.
type Autostart struct {
	// Exe is the absolute path of the binary to start. An AppImage should
	// pass $APPIMAGE, not the path inside its temporary mount.
	Exe string
	// Dir holds the login entry: the XDG autostart directory, or
	// ~/Library/LaunchAgents on macOS; Windows does not use it.
	Dir string
}

func autostartError(err error) error {
	return integration.NewError(ErrAutostart, err, "error.autostart_failed")
}

// writeAtomic replaces path with data so a crash never leaves half an
// entry that the session would try to run.
func writeAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return safefile.Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// removeFile removes path; a missing file is already the wanted state.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
