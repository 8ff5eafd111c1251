package secrets

import (
	"context"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"
)

// secretServiceProber checks the Secret Service over a private D-Bus
// connection: no session bus or no org.freedesktop.secrets provider means
// unavailable; a locked default collection means locked (go-keyring would
// otherwise raise an unlock prompt and wait forever).
type secretServiceProber struct{}

func platformProber() Prober { return secretServiceProber{} }

const (
	ssName         = "org.freedesktop.secrets"
	defaultAlias   = "/org/freedesktop/secrets/aliases/default"
	loginColl      = "/org/freedesktop/secrets/collection/login"
	collectionIfce = "org.freedesktop.Secret.Collection"
)

func (secretServiceProber) Probe(ctx context.Context) error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return fmt.Errorf("%w: no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)", ErrUnavailable)
	}
	conn, err := dbus.ConnectSessionBus(dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("%w: connect to the session bus: %v", ErrUnavailable, err)
	}
	defer conn.Close()
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, ssName).Store(&owned); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if !owned {
		var names []string
		if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err != nil {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		activatable := false
		for _, n := range names {
			activatable = activatable || n == ssName
		}
		if !activatable {
			return fmt.Errorf("%w: no Secret Service on the session bus", ErrUnavailable)
		}
		// Starting the provider is what go-keyring's call would do anyway.
		var ret uint32
		if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.StartServiceByName", 0, ssName, uint32(0)).Store(&ret); err != nil {
			return fmt.Errorf("%w: start Secret Service: %v", ErrUnavailable, err)
		}
	}
	for _, path := range []dbus.ObjectPath{defaultAlias, loginColl} {
		v, err := conn.Object(ssName, path).GetProperty(collectionIfce + ".Locked")
		if err != nil {
			continue
		}
		if locked, ok := v.Value().(bool); ok {
			if locked {
				return ErrLocked
			}
			return nil
		}
	}
	// No default collection yet: go-keyring creates or uses the login one.
	return nil
}
