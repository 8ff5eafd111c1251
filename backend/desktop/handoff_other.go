//go:build !linux

package desktop

// HandOff is Linux-only; elsewhere Wails' own single-instance lock hands
// a second launch's arguments over.
func HandOff(string, []string) bool { return false }
