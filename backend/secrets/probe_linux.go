package secrets

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/godbus/dbus/v5"
)

// secretServiceProber checks the Secret Service over a private D-Bus
// connection: no session bus or no org.freedesktop.secrets provider means
// unavailable; a locked default collection means locked (go-keyring would
// otherwise raise an unlock prompt and wait forever).
//
// The connection is opened once and kept: a connection per probe makes
// gnome-keyring register and drop a client for every keychain call, and
// that churn beside go-keyring's calls is what makes gnome-keyring
// (42 to 50) lose the client it is answering and abort or drop off the
// bus (gnome-keyring #190, #196). D-Bus then starts a fresh daemon whose
// login keyring is locked: every later call fails as "locked" and the
// desktop asks for the keyring password. It is private because
// fyne.io/systray closes the process's shared connection when the tray
// ends.
type secretServiceProber struct {
	mu   sync.Mutex
	conn *dbus.Conn
}

func platformProber() Prober { return &secretServiceProber{} }

const (
	ssName         = "org.freedesktop.secrets"
	defaultAlias   = "/org/freedesktop/secrets/aliases/default"
	loginColl      = "/org/freedesktop/secrets/collection/login"
	collectionIfce = "org.freedesktop.Secret.Collection"
)

// connection returns the kept connection, reconnecting when the bus
// dropped it.
func (p *secretServiceProber) connection() (*dbus.Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil && p.conn.Connected() {
		return p.conn, nil
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, err
	}
	p.conn = conn
	return conn, nil
}

func (p *secretServiceProber) Probe(ctx context.Context) error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return fmt.Errorf("%w: no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)", ErrUnavailable)
	}
	conn, err := p.connection()
	if err != nil {
		return fmt.Errorf("%w: connect to the session bus: %v", ErrUnavailable, err)
	}
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
		var v dbus.Variant
		err := conn.Object(ssName, path).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, collectionIfce, "Locked").Store(&v)
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
