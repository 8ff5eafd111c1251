package tray

import "context"

func sessionAvailable() bool { return true }

// HostPresent reports whether a tray host will show the icon; the Windows
// notification area always exists.
func (t *Tray) HostPresent(context.Context) bool { return true }
