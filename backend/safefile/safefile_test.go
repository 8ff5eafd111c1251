package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func TestWriteReplacesTheFileWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.zip")
	if err := Write(path, 0o600, writeString("first")); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, 0o640, writeString("second")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "second" {
		t.Fatalf("ReadFile = %q, %v; want second", got, err)
	}
	if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v; want 0640", st.Mode().Perm())
	}
	assertOnly(t, dir, "out.zip")
}

func TestFailedWriteLeavesTheOldFileAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.zip")
	if err := os.WriteFile(path, []byte("good"), 0o600); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("bundle refused")
	err := Write(path, 0o600, func(w io.Writer) error {
		io.WriteString(w, "half")
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("Write = %v; want the write's own error", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "good" {
		t.Errorf("after a failed write the file holds %q; want the old content", got)
	}
	assertOnly(t, dir, "out.zip")
}

func TestWriteIntoAMissingFolderFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "out.zip")
	called := false
	err := Write(path, 0o600, func(io.Writer) error { called = true; return nil })
	if !errors.Is(err, os.ErrNotExist) || called {
		t.Errorf("Write into a missing folder = %v (write called: %v); want ErrNotExist before any work", err, called)
	}
}

// assertOnly checks that dir holds exactly name: no temporary file left.
func assertOnly(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %q; want only %q", names, name)
	}
}
