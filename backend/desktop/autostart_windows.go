package desktop

import (
	"errors"

	"golang.org/x/sys/windows/registry"
)

const (
	runKey   = `Software\Microsoft\Windows\CurrentVersion\Run`
	runValue = "Relink"
)

// NewAutostart returns the Autostart for exe under the current user's Run
// registry key.
func NewAutostart(exe string) (Autostart, error) { return Autostart{Exe: exe}, nil }

// Enable sets the Run value to start Relink hidden at login.
func (a Autostart) Enable() error {
	if a.Exe == "" {
		return autostartError(errors.New("empty executable path"))
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return autostartError(err)
	}
	defer k.Close()
	if err := k.SetStringValue(runValue, `"`+a.Exe+`" `+HiddenFlag); err != nil {
		return autostartError(err)
	}
	return nil
}

// Disable deletes the Run value.
func (a Autostart) Disable() error {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return autostartError(err)
	}
	defer k.Close()
	if err := k.DeleteValue(runValue); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return autostartError(err)
	}
	return nil
}

// Enabled reports whether the Run value exists.
func (a Autostart) Enabled() (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, autostartError(err)
	}
	defer k.Close()
	if _, _, err := k.GetStringValue(runValue); errors.Is(err, registry.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, autostartError(err)
	}
	return true, nil
}
