package tray

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

// sessionAvailable reports whether the session bus the tray lives on can
// be reached; fyne.io/systray uses the same shared connection.
func sessionAvailable() bool {
	_, err := dbus.SessionBus()
	return err == nil
}

// HostPresent reports whether a tray host will show the icon: a
// StatusNotifierWatcher owns its name and has a host registered. Plain
// GNOME has none without the AppIndicator extension; the app should then
// not hide its window on close, or the user has no way back to it.
func (t *Tray) HostPresent(ctx context.Context) bool {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	const watcher = "org.kde.StatusNotifierWatcher"
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, watcher).Store(&owned); err != nil || !owned {
		return false
	}
	var registered bool
	err = conn.Object(watcher, "/StatusNotifierWatcher").
		CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, watcher, "IsStatusNotifierHostRegistered").
		Store(&registered)
	return err == nil && registered
}
