// Package platform answers questions about the machine Relink runs on
// that main needs before it starts the window.
package platform

import "runtime"

// DisplayMissing reports a Linux session without X11 or Wayland, where
// the window cannot open (GTK would abort).
func DisplayMissing(getenv func(string) string) bool {
	return runtime.GOOS == "linux" && getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == ""
}
