package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/monitor"
)

// trayWatcher is a StatusNotifierWatcher that is also a host, as a desktop
// panel is: it accepts the app's registration, then follows the item's
// signals by reading its menu back over the bus, so the app's shared
// session-bus connection carries the traffic a panel causes.
type trayWatcher struct {
	conn *dbus.Conn
	mu   sync.Mutex
	item string // the registered item's bus name
}

func (w *trayWatcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	w.mu.Lock()
	w.item = string(sender)
	w.mu.Unlock()
	if err := w.conn.AddMatchSignal(dbus.WithMatchSender(string(sender))); err != nil {
		return dbus.MakeFailedError(err)
	}
	return nil
}

func (w *trayWatcher) RegisterStatusNotifierHost(service string) *dbus.Error { return nil }

// follow answers each signal of the item the way a panel does.
func (w *trayWatcher) follow(signals <-chan *dbus.Signal) {
	for sig := range signals {
		w.mu.Lock()
		item := w.item
		w.mu.Unlock()
		if item == "" || sig.Sender != item {
			continue
		}
		// Only the menu's rows, as GetGroupProperties: a panel's GetLayout,
		// or reading the icon while the app changes it, meets data races
		// inside fyne.io/systray v1.12.2 and godbus's prop package that
		// -race reports against the tray running in this test's process.
		ids := make([]int32, menuIDs)
		for i := range ids {
			ids[i] = int32(i + 1)
		}
		var rows []struct {
			ID    int32
			Props map[string]dbus.Variant
		}
		w.conn.Object(item, "/StatusNotifierItem/menu").
			Call("com.canonical.dbusmenu.GetGroupProperties", 0, ids, []string{}).Store(&rows)
	}
}

// startTrayWatcher owns org.kde.StatusNotifierWatcher on the test's
// session bus for the rest of the test.
func startTrayWatcher(t *testing.T) {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	w := &trayWatcher{conn: conn}
	const name, path = "org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher"
	if err := conn.Export(w, path, name); err != nil {
		t.Fatal(err)
	}
	if _, err := prop.Export(conn, path, prop.Map{name: {
		"IsStatusNotifierHostRegistered": {Value: true},
		"ProtocolVersion":                {Value: int32(0)},
		"RegisteredStatusNotifierItems":  {Value: []string{}},
	}}); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v (reply %d)", name, err, reply)
	}
	signals := make(chan *dbus.Signal, 64)
	conn.Signal(signals)
	go w.follow(signals)
}

// secretServiceOwner is the unique bus name of the Secret Service now.
func secretServiceOwner(t *testing.T, conn *dbus.Conn) string {
	t.Helper()
	var owner string
	if err := conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, "org.freedesktop.secrets").Store(&owner); err != nil {
		t.Fatalf("the Secret Service is gone from the bus: %v", err)
	}
	return owner
}

// followRedirects is a browser for the sandbox, which approves at once:
// it follows the authorization URL back to Relink's loopback listener.
func followRedirects(u string) error {
	go func() {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
		}
	}()
	return nil
}

// TestCheckAllAfterRevocation repeats what `make demo` once got wrong:
// the provider revokes the user, then "Check all now" checks every OAuth
// integration at once in the window's process, beside its tray (with a
// tray host reading it back) and notifications (dunst) on the same
// session bus, against the real Secret Service. It alternates the tray's
// menu over D-Bus and the window's path (Service.Check, what CheckNow
// calls). Every round, each integration must say its access was revoked,
// and the Secret Service must still be the daemon it was: before the fix
// gnome-keyring dropped off the bus under the concurrent calls and D-Bus
// started a locked one, so checks said "keychain locked" or "a problem
// inside Relink". Rounds are bounded, not timed.
func TestCheckAllAfterRevocation(t *testing.T) {
	needRig(t)
	display := startXvfb(t)
	startDunst(t, display)
	startTrayWatcher(t)
	sb := startSandbox(t)
	r := newRig(t, sb, openerFunc(followRedirects))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	bus, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	keyring := secretServiceOwner(t, bus)

	const n = 8 // as many as one Check all runs at once
	var ids []string
	for i := range n {
		v := r.add(t, fmt.Sprintf("Analytics %d", i+1))
		if v, err := r.reauth(t, v.ID, 30*time.Second); err != nil || v.Status != integration.StatusConnected {
			t.Fatalf("authorize %s: %s, %v", v.Name, v.Status, err)
		}
		ids = append(ids, v.ID)
	}
	msgs, _ := i18n.Load()
	mon := monitor.New(monitor.Config{Service: r.svc, I18n: msgs, NotifyWindow: time.Second})
	go mon.Start(ctx, monitor.Hooks{Show: func() {}, Quit: func() {}})
	defer mon.Stop()
	ti := trayItem{conn: bus, name: fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", os.Getpid())}
	eventually(t, "the tray menu", 30*time.Second, func() bool { return ti.rowEnabled("Check all now") })

	lastChecked := func() map[string]time.Time {
		views, err := r.svc.ListIntegrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]time.Time{}
		for _, v := range views {
			if v.LastChecked != nil {
				out[v.ID] = *v.LastChecked
			}
		}
		return out
	}
	const rounds = 4
	for round := 1; round <= rounds; round++ {
		sb.control(t, "revoke-user", "{}")
		viaTray := round%2 == 1
		if viaTray {
			before := lastChecked()
			clickWhenEnabled(t, ti, fmt.Sprintf("round %d", round), "Check all now")
			clicked := time.Now()
			eventually(t, fmt.Sprintf("round %d: the tray's check of every integration", round), 90*time.Second, func() bool {
				after := lastChecked()
				done := true
				for _, id := range ids {
					done = done && after[id].After(before[id])
				}
				// A click can meet a menu being rebuilt, and a row it
				// replaced never acts: click again while no check runs.
				if !done && time.Since(clicked) > 5*time.Second && ti.rowEnabled("Check all now") {
					ti.clickRow(t, "Check all now")
					clicked = time.Now()
				}
				return done
			})
		} else if _, err := r.svc.Check(ctx); err != nil {
			t.Fatalf("round %d: Check: %v", round, err)
		}
		for _, id := range ids {
			v, err := r.svc.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != integration.StatusNeedsReauth || v.Cause != integration.CauseAccessRevoked {
				t.Errorf("round %d (tray %v): %s is %s/%s (%v) after the provider revoked access; want needs_reauth/access_revoked",
					round, viaTray, v.Name, v.Status, v.Cause, v.Problem)
			}
		}
		if now := secretServiceOwner(t, bus); now != keyring {
			t.Fatalf("round %d: the Secret Service was %s and is now %s: the daemon dropped off the bus", round, keyring, now)
		}
		if t.Failed() {
			return
		}
		if round == rounds {
			break
		}
		for _, id := range ids {
			if v, err := r.reauth(t, id, 30*time.Second); err != nil || v.Status != integration.StatusConnected {
				t.Fatalf("round %d: repair %s: %s, %v", round, v.Name, v.Status, err)
			}
		}
	}
}

// clickWhenEnabled clicks the menu row starting with prefix once it is
// enabled (it is disabled while a check runs, and a click then does
// nothing).
func clickWhenEnabled(t *testing.T, ti trayItem, when, prefix string) {
	t.Helper()
	eventually(t, when+": the "+prefix+" row to be enabled", 30*time.Second, func() bool {
		return ti.rowEnabled(prefix)
	})
	ti.clickRow(t, prefix)
}

func (ti trayItem) rowEnabled(prefix string) bool {
	ids := make([]int32, menuIDs)
	for i := range ids {
		ids[i] = int32(i + 1)
	}
	var props []struct {
		ID    int32
		Props map[string]dbus.Variant
	}
	if err := ti.conn.Object(ti.name, "/StatusNotifierItem/menu").
		Call("com.canonical.dbusmenu.GetGroupProperties", 0, ids, []string{}).Store(&props); err != nil {
		return false
	}
	for _, p := range props {
		if l, _ := p.Props["label"].Value().(string); strings.HasPrefix(l, prefix) {
			e, ok := p.Props["enabled"]
			return !ok || e.Value() == true
		}
	}
	return false
}
