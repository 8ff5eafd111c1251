//go:build linux || darwin || freebsd

package store

import "golang.org/x/sys/unix"

// diskFull reports whether the file system holding dir has (almost) no
// space left; SQLite sometimes reports that as a plain I/O error.
func diskFull(dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false
	}
	return uint64(st.Bavail)*uint64(st.Bsize) < 64<<10
}
