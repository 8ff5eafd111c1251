package tray

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"relink/backend/internal/testrig"
)

type click struct {
	action Action
	id     string
}

type menuRow struct {
	id      int32
	label   string
	sep     bool
	enabled bool
}

// sni reads the tray's StatusNotifierItem and its dbusmenu over the bus,
// the way a tray host does.
type sni struct {
	t    *testing.T
	conn *dbus.Conn
	name string
}

func (s sni) prop(name string, into any) {
	s.t.Helper()
	v, err := s.conn.Object(s.name, "/StatusNotifierItem").GetProperty("org.kde.StatusNotifierItem." + name)
	if err != nil {
		s.t.Fatalf("get %s: %v", name, err)
	}
	if err := v.Store(into); err != nil {
		s.t.Fatalf("decode %s (%s): %v", name, v.Signature(), err)
	}
}

type pixmap struct {
	W, H int32
	Pix  []byte
}

func (s sni) tooltip() string {
	var tip struct {
		Name  string
		Icons []pixmap
		Title string
		Text  string
	}
	s.prop("ToolTip", &tip)
	return tip.Title
}

func (s sni) icon() pixmap {
	var px []pixmap
	s.prop("IconPixmap", &px)
	if len(px) != 1 {
		s.t.Fatalf("IconPixmap has %d images; want 1", len(px))
	}
	return px[0]
}

// menu lists the current rows in order. It asks GetGroupProperties for
// every id a test can have produced rather than calling GetLayout: the
// first GetLayout after each rebuild starts a goroutine inside
// fyne.io/systray v1.12.2 that writes the menu version under a different
// lock than GetLayout reads it, which the race detector reports. Row ids
// only grow, so ascending id order is menu order.
func (s sni) menu() []menuRow {
	s.t.Helper()
	ids := make([]int32, 256)
	for i := range ids {
		ids[i] = int32(i + 1)
	}
	var props []struct {
		ID    int32
		Props map[string]dbus.Variant
	}
	err := s.conn.Object(s.name, "/StatusNotifierItem/menu").
		Call("com.canonical.dbusmenu.GetGroupProperties", 0, ids, []string{}).
		Store(&props)
	if err != nil {
		s.t.Fatalf("GetGroupProperties: %v", err)
	}
	var rows []menuRow
	for _, p := range props {
		r := menuRow{id: p.ID, enabled: true}
		if v, ok := p.Props["type"]; ok && v.Value() == "separator" {
			r.sep = true
		}
		if v, ok := p.Props["label"]; ok {
			r.label = v.Value().(string)
		}
		if v, ok := p.Props["enabled"]; ok {
			r.enabled = v.Value().(bool)
		}
		rows = append(rows, r)
	}
	return rows
}

func (s sni) click(id int32) {
	s.t.Helper()
	err := s.conn.Object(s.name, "/StatusNotifierItem/menu").
		Call("com.canonical.dbusmenu.Event", 0, id, "clicked", dbus.MakeVariant(""), uint32(0)).Err
	if err != nil {
		s.t.Fatalf("Event(%d, clicked): %v", id, err)
	}
}

func rowID(t *testing.T, rows []menuRow, label string) int32 {
	t.Helper()
	for _, r := range rows {
		if r.label == label {
			return r.id
		}
	}
	t.Fatalf("no menu row %q in %+v", label, rows)
	return 0
}

// argb is the StatusNotifierItem pixmap layout: ARGB32, network order.
func argb(t *testing.T, s IconState) pixmap {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(iconPNG(s)))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	px := pixmap{W: int32(b.Dx()), H: int32(b.Dy())}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			px.Pix = append(px.Pix, byte(a), byte(r), byte(g), byte(bl))
		}
	}
	return px
}

func next(t *testing.T, clicks <-chan click) click {
	t.Helper()
	select {
	case c := <-clicks:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a click")
		return click{}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var trayStarted atomic.Bool

// TestTrayOverDBus runs the real adapter on a private session bus and
// drives it as a tray host would: read the item's properties, read the
// menu, click rows. fyne.io/systray is process-global, so this is the only
// test in the package that starts a Tray.
func TestTrayOverDBus(t *testing.T) {
	conn := testrig.PrivateBus(t)
	if !trayStarted.CompareAndSwap(false, true) {
		t.Skip("fyne.io/systray can start once per process (go test -count > 1)")
	}
	clicks := make(chan click, 10)
	tr := New(func(a Action, id string) { clicks <- click{a, id} })
	en := testrig.Translator(t)

	broken := Build(Summary{Items: []Item{
		{"ga", "Google Analytics", needsReauth, true},
		{"st", "Stripe", connected, true},
	}}, en)
	tr.Apply(broken) // before start: shown once the item exists
	start, end := tr.Run()
	start()
	defer end()

	s := sni{t, conn, fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", os.Getpid())}
	waitFor(t, s.name+" on the bus", func() bool {
		var owned bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, s.name).Store(&owned)
		return err == nil && owned
	})

	var status, id string
	s.prop("Status", &status)
	s.prop("Id", &id)
	if status != "Active" || id != "Relink" {
		t.Errorf("Status, Id = %q, %q; want Active, Relink", status, id)
	}
	if got, want := s.tooltip(), "1 integration needs reauthorization"; got != want {
		t.Errorf("ToolTip title = %q; want %q", got, want)
	}
	if got, want := s.icon(), argb(t, IconBroken); got.W != want.W || got.H != want.H || !bytes.Equal(got.Pix, want.Pix) {
		t.Errorf("IconPixmap is not the broken icon (%d×%d)", got.W, got.H)
	}
	rows := s.menu()
	var labels []string
	for _, r := range rows {
		if r.sep {
			labels = append(labels, "---")
		} else {
			labels = append(labels, r.label)
		}
	}
	wantLabels := []string{"Reauthorize Google Analytics…", "---", "Open Relink", "Check all now", "Pause monitoring", "---", "Quit Relink"}
	if fmt.Sprint(labels) != fmt.Sprint(wantLabels) {
		t.Errorf("menu = %q; want %q", labels, wantLabels)
	}

	s.click(rowID(t, rows, "Reauthorize Google Analytics…"))
	if got, want := next(t, clicks), (click{ActionReauthorize, "ga"}); got != want {
		t.Errorf("click on reauthorize row = %+v; want %+v", got, want)
	}
	s.click(rowID(t, rows, "Check all now"))
	if got, want := next(t, clicks), (click{ActionCheckAll, ""}); got != want {
		t.Errorf("click on check all = %+v; want %+v", got, want)
	}

	// A check starts: only the row's label and state change, in place (a
	// rebuild closes rows a click may be using). The disabled row ignores
	// a second click, and works again when the check ends.
	checkRow := rowID(t, rows, "Check all now")
	tr.Apply(Build(Summary{Items: []Item{{"ga", "Google Analytics", needsReauth, true}, {"st", "Stripe", connected, true}}, Checking: true}, en))
	checking := s.menu()
	if got := rowID(t, checking, "Checking…"); got != checkRow {
		t.Errorf("Checking… is row %d; want the Check all now row %d updated in place", got, checkRow)
	}
	for _, r := range checking {
		if r.id == checkRow && r.enabled {
			t.Errorf("row %q is enabled while checking; want disabled", r.label)
		}
	}
	s.click(checkRow)
	select {
	case c := <-clicks:
		t.Errorf("click on the disabled Checking… row = %+v; want nothing", c)
	case <-time.After(200 * time.Millisecond):
	}
	tr.Apply(broken)
	if got := rowID(t, s.menu(), "Check all now"); got != checkRow {
		t.Errorf("Check all now is row %d after the check; want %d", got, checkRow)
	}
	s.click(checkRow)
	if got, want := next(t, clicks), (click{ActionCheckAll, ""}); got != want {
		t.Errorf("click after the check ended = %+v; want %+v (the click while checking must not count)", got, want)
	}

	// The integration is repaired while a check runs: new icon, tooltip
	// and menu, and the old rows are dead.
	healthy := Build(Summary{Items: []Item{
		{"ga", "Google Analytics", connected, true},
		{"st", "Stripe", connected, true},
	}, Checking: true}, en)
	tr.Apply(healthy)
	if got, want := s.tooltip(), "Checking integrations…"; got != want {
		t.Errorf("ToolTip title after Apply = %q; want %q", got, want)
	}
	if got, want := s.icon(), argb(t, IconChecking); !bytes.Equal(got.Pix, want.Pix) {
		t.Errorf("IconPixmap after Apply is not the checking icon")
	}
	newRows := s.menu()
	for _, r := range newRows {
		if r.label == "Checking…" && r.enabled {
			t.Errorf("row %q is enabled; want disabled", r.label)
		}
	}
	s.click(rowID(t, rows, "Reauthorize Google Analytics…")) // stale
	s.click(rowID(t, rows, "Pause monitoring"))              // stale
	s.click(rowID(t, newRows, "Pause monitoring"))
	if got, want := next(t, clicks), (click{ActionPause, ""}); got != want {
		t.Errorf("first click after rebuild = %+v; want %+v (a stale row fired)", got, want)
	}
	select {
	case c := <-clicks:
		t.Errorf("unexpected click %+v from a replaced menu", c)
	case <-time.After(200 * time.Millisecond):
	}

	// Activating the icon itself opens the window.
	if err := conn.Object(s.name, "/StatusNotifierItem").Call("org.kde.StatusNotifierItem.Activate", 0, int32(0), int32(0)).Err; err != nil {
		t.Fatalf("Activate: %v", err)
	}
	if got, want := next(t, clicks), (click{ActionOpen, ""}); got != want {
		t.Errorf("Activate = %+v; want %+v", got, want)
	}
}
