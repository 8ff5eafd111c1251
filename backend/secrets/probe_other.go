//go:build !linux

package secrets

// On macOS and Windows the OS keychain has no separate "service present"
// state to check up front; errors come from the calls themselves.
func platformProber() Prober { return nil }
