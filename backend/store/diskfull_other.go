//go:build !(linux || darwin || freebsd)

package store

// diskFull cannot tell on this platform; SQLite's own SQLITE_FULL still
// names a full disk.
func diskFull(string) bool { return false }
