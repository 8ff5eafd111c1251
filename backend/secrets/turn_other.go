//go:build !linux

package secrets

// macOS's Keychain and Windows' Credential Manager serve concurrent
// clients; only the Secret Service needs a turn across processes.
func platformTurn() Turn { return nil }
