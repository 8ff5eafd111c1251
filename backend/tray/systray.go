//go:build linux || windows

package tray

import (
	"context"
	"embed"
	"slices"
	"sync"

	"fyne.io/systray"
)

//go:generate go run icons/gen.go -out icons

//go:embed icons/*.png
var iconFS embed.FS

// iconPNG returns the embedded image for s.
func iconPNG(s IconState) []byte {
	b, err := iconFS.ReadFile("icons/" + string(s) + ".png")
	if err != nil {
		// Every IconState has a file (TestEveryIconStateHasAnImage).
		panic("tray: no icon for state " + string(s))
	}
	return b
}

// Tray puts a Model in the system tray through fyne.io/systray and reports
// clicks to the action callback. fyne.io/systray keeps its state in package
// globals, so a process has at most one Tray and runs it once.
type Tray struct {
	onAction func(a Action, integrationID string)

	mu      sync.Mutex
	started bool
	want    Model // the latest Apply
	shown   Model // what is on screen
	// cancel stops the current menu's click handlers; each rebuild gets a
	// fresh context so a click on a replaced menu never acts.
	cancel context.CancelFunc
	// items are the current menu's rows on the bus (nil for separators).
	items []*systray.MenuItem
}

// New returns a Tray that calls onAction for each menu click (and with
// ActionOpen when the icon itself is activated).
func New(onAction func(a Action, integrationID string)) *Tray {
	return &Tray{onAction: onAction}
}

// Run registers the tray icon beside another toolkit's event loop (Wails).
// Call start once the app has started (OnStartup) and end when it shuts
// down. Where there is no session bus the tray cannot exist and both are
// no-ops. On Linux end closes the process's shared session bus connection,
// so call it after anything else that uses it (go-keyring) has finished.
func (t *Tray) Run() (start, end func()) {
	if !sessionAvailable() {
		return func() {}, func() {}
	}
	// The title becomes the item's Id and Title on the bus, which hosts
	// use to name the icon in their settings; it must be set before start.
	systray.SetTitle("Relink")
	systray.SetOnTapped(func() { t.onAction(ActionOpen, "") })
	sysStart, sysEnd := systray.RunWithExternalLoop(nil, t.stop)
	var once sync.Once
	ran := false
	start = func() {
		once.Do(func() {
			sysStart()
			// Only now are the bus properties exported: icon and tooltip
			// set earlier would be stored but never announced.
			t.mu.Lock()
			defer t.mu.Unlock()
			ran, t.started = true, true
			t.show(t.want)
		})
	}
	end = func() {
		t.mu.Lock()
		r := ran
		t.mu.Unlock()
		// systray's end closes a connection that only start opens.
		if r {
			sysEnd()
		}
	}
	return start, end
}

// Apply shows m, changing only what differs from what is on screen. The
// menu is rebuilt as a whole when any row changed.
func (t *Tray) Apply(m Model) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.want = m
	if t.started {
		t.show(m)
	}
}

func (t *Tray) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.started = false
	if t.cancel != nil {
		t.cancel()
	}
}

// show must be called with t.mu held.
func (t *Tray) show(m Model) {
	if m.Icon != t.shown.Icon {
		systray.SetIcon(trayImage(iconPNG(m.Icon)))
	}
	if m.Tooltip != t.shown.Tooltip {
		systray.SetTooltip(m.Tooltip)
	}
	switch {
	case t.cancel == nil || !sameRows(m.Menu, t.shown.Menu):
		t.rebuild(m.Menu)
	case !slices.Equal(m.Menu, t.shown.Menu):
		t.relabel(m.Menu)
	}
	t.shown = m
}

// sameRows reports whether b's rows do what a's do, so only labels and
// enabled states differ. Those change in place: fyne.io/systray's
// ResetMenu closes each row's click channel while its D-Bus handler may
// be sending a click on it, which panics the process, so the menu is
// only rebuilt when its rows really change (not on "Checking…").
func sameRows(a, b []MenuItem) bool {
	return slices.EqualFunc(a, b, func(x, y MenuItem) bool {
		return x.Separator == y.Separator && x.Action == y.Action && x.IntegrationID == y.IntegrationID
	})
}

// relabel updates rows in place; must be called with t.mu held.
func (t *Tray) relabel(menu []MenuItem) {
	for i, it := range menu {
		mi, was := t.items[i], t.shown.Menu[i]
		if mi == nil {
			continue
		}
		if it.Label != was.Label {
			mi.SetTitle(it.Label)
		}
		if it.Disabled != was.Disabled {
			if it.Disabled {
				mi.Disable()
			} else {
				mi.Enable()
			}
		}
	}
}

func (t *Tray) rebuild(menu []MenuItem) {
	if t.cancel != nil {
		t.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	systray.ResetMenu()
	t.items = make([]*systray.MenuItem, len(menu))
	for i, it := range menu {
		if it.Separator {
			systray.AddSeparator()
			continue
		}
		mi := systray.AddMenuItem(it.Label, "")
		if it.Disabled {
			mi.Disable()
		}
		t.items[i] = mi
		go t.handle(ctx, mi.ClickedCh, i)
	}
}

// handle forwards clicks on row i until its menu is replaced. A row that
// is disabled now (a second click on "Check all now") does nothing.
func (t *Tray) handle(ctx context.Context, clicked <-chan struct{}, i int) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-clicked:
			if !ok {
				return
			}
			t.mu.Lock()
			// ResetMenu closes the old rows' channels, and a click can race
			// a rebuild: neither may act on a menu the user no longer sees.
			stale := ctx.Err() != nil
			var row MenuItem
			if !stale {
				row = t.shown.Menu[i]
			}
			t.mu.Unlock()
			if stale || row.Disabled {
				continue
			}
			t.onAction(row.Action, row.IntegrationID)
		}
	}
}
