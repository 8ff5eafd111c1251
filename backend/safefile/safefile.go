// Package safefile writes a file whole or not at all: the content goes to
// a temporary file beside the target, which replaces the target only once
// it is complete, so a crash or a failed write never leaves half a file
// where a good one is expected (a diagnostics bundle, an export, an
// autostart entry the session would run).
package safefile

import (
	"io"
	"os"
	"path/filepath"
)

// Write replaces path with what write produces, with permissions perm.
// When write fails, its error is returned unchanged and path is untouched.
func Write(path string, perm os.FileMode, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	// After the rename there is nothing left to remove.
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	// On disk before the rename makes it visible.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
