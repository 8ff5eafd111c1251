package testrig

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// MountTmpfs gives the test a small file system of its own, which it can
// fill up or remount read-only. Mounting needs root with CAP_SYS_ADMIN
// (CI runs as root); elsewhere the test is skipped and says why.
func MountTmpfs(t testing.TB, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root (CI runs as root)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// Mount runs mount(8) with args ("-o", "remount,ro", dir…).
func Mount(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
		t.Fatalf("mount %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// FillDisk writes path until its file system is full.
func FillDisk(t testing.TB, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			return
		}
	}
}

// ReadOnlyFile makes the file at path read-only while its directory stays
// writable. Root ignores file permissions, so as root (CI) the file is
// bind-mounted read-only onto itself; otherwise its mode is 0400.
func ReadOnlyFile(t testing.TB, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(path, 0o400); err != nil {
			t.Fatal(err)
		}
		return
	}
	if out, err := exec.Command("mount", "--bind", path, path).CombinedOutput(); err != nil {
		t.Skipf("cannot bind-mount here (a container without CAP_SYS_ADMIN?): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", path).Run() })
	Mount(t, "-o", "remount,ro,bind", path)
}
