package secrets

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// TestConcurrentUseKeepsTheSecretService is what a "Check all" asks of
// the keychain, many times over: every check reading, writing and
// deleting its tokens at once. The Secret Service must still be the
// daemon it was when it ends, and no call may fail. Before calls were
// taken one at a time over one probe connection, gnome-keyring sometimes
// dropped off the bus under such load and D-Bus started a new daemon with
// the login keyring locked, so every later call failed as locked and the
// desktop asked for the keyring password. It did not happen on every run,
// so this test guards the fix; it cannot prove it.
func TestConcurrentUseKeepsTheSecretService(t *testing.T) {
	k := realKeychain(t)
	owner := secretServiceOwner(t)
	before := owner()
	ctx := context.Background()
	const workers, rounds = 8, 6
	errs := make(chan error, workers*rounds*6)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			id := fmt.Sprintf("concurrent-%d", w)
			defer k.DeleteAll(ctx, id)
			for range rounds {
				errs <- k.Set(ctx, id, "access_token", "a")
				errs <- k.Set(ctx, id, "refresh_token", "r")
				_, err := k.Get(ctx, id, "access_token")
				errs <- err
				if _, err := k.Get(ctx, id, "client_secret"); err != nil && !errors.Is(err, ErrNotFound) {
					errs <- err
				}
				errs <- k.Delete(ctx, id, "access_token")
				errs <- k.Delete(ctx, id, "refresh_token")
			}
		})
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			if failed++; failed <= 5 {
				t.Error(err)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d keychain calls failed", failed)
	}
	if after := owner(); after != before {
		t.Errorf("the Secret Service was %s and is now %s: the daemon dropped off the bus", before, after)
	}
}

// secretServiceOwner returns a function telling which connection owns the
// Secret Service's name now: a new owner means the daemon was restarted.
func secretServiceOwner(t *testing.T) func() string {
	t.Helper()
	bus, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	return func() string {
		var o string
		if err := bus.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, ssName).Store(&o); err != nil {
			t.Fatalf("the Secret Service is gone from the bus: %v", err)
		}
		return o
	}
}
