//go:build !linux && !windows

package tray

import "context"

// Tray does nothing on this platform. On macOS fyne.io/systray cannot run
// beside Wails v2: both define an Objective-C AppDelegate and both want
// to own [NSApp run].
type Tray struct{}

// New returns a Tray that shows nothing.
func New(func(a Action, integrationID string)) *Tray { return &Tray{} }

// Run returns no-op start and end functions.
func (t *Tray) Run() (start, end func()) { return func() {}, func() {} }

// Apply does nothing.
func (t *Tray) Apply(Model) {}

// HostPresent is false: there is no tray to hide the window to.
func (t *Tray) HostPresent(context.Context) bool { return false }
