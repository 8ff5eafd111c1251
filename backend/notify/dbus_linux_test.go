package notify

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"relink/backend/internal/testrig"

	"relink/backend/integration"
)

func owned(t *testing.T, conn *dbus.Conn, name string) bool {
	t.Helper()
	var ok bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&ok); err != nil {
		t.Fatalf("NameHasOwner(%s): %v", name, err)
	}
	return ok
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func nextClick(t *testing.T, clicks <-chan string) string {
	t.Helper()
	select {
	case c := <-clicks:
		return c
	case <-time.After(15 * time.Second):
		t.Fatal("timed out waiting for a click")
		return ""
	}
}

type notifyCall struct {
	App     string
	Icon    string
	Summary string
	Body    string
	Actions []string
	Hints   map[string]dbus.Variant
	Timeout int32
}

// fakeServer is a minimal org.freedesktop.Notifications daemon. Other test
// packages share the bus, so calls are looked up by summary.
type fakeServer struct {
	conn *dbus.Conn
	mu   sync.Mutex
	got  map[string]notifyCall
	ids  map[string]uint32
	next uint32
}

func (f *fakeServer) Notify(app string, _ uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.got[summary] = notifyCall{app, icon, summary, body, actions, hints, timeout}
	f.ids[summary] = f.next
	return f.next, nil
}

func (f *fakeServer) call(summary string) (notifyCall, uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got[summary], f.ids[summary]
}

func (f *fakeServer) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"actions", "body"}, nil
}

func (f *fakeServer) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "fake", "relink", "1", "1.2", nil
}

func (f *fakeServer) CloseNotification(uint32) *dbus.Error { return nil }

func (f *fakeServer) emit(t *testing.T, member string, args ...any) {
	t.Helper()
	if err := f.conn.Emit(fdoPath, fdoIface+"."+member, args...); err != nil {
		t.Fatalf("emit %s: %v", member, err)
	}
}

func startFakeServer(t *testing.T, bus *dbus.Conn) *fakeServer {
	t.Helper()
	if owned(t, bus, fdoName) {
		t.Skip("a notification daemon already owns " + fdoName)
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &fakeServer{conn: conn, got: map[string]notifyCall{}, ids: map[string]uint32{}}
	if err := conn.Export(f, fdoPath, fdoIface); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(fdoName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName(%s) = %v, %v", fdoName, reply, err)
	}
	return f
}

func TestDBusSenderWithFakeServer(t *testing.T) {
	bus := testrig.PrivateBus(t)
	server := startFakeServer(t, bus)
	clicks := make(chan string, 10)
	s := NewDBusSender("Relink", "relink", "relink", func(target string) { clicks <- target })
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()

	n := Notification{Title: "GA needs attention", Body: "Click to reauthorize.", Target: "ga-1", Action: "Fix now"}
	if err := s.Send(ctx, n); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got, id1 := server.call(n.Title)
	want := notifyCall{
		App: "Relink", Icon: "relink", Summary: n.Title, Body: n.Body,
		Actions: []string{"default", "Fix now"},
		Hints:   map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(1)), "desktop-entry": dbus.MakeVariant("relink")},
		Timeout: -1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Notify got %+v; want %+v", got, want)
	}

	// Signals for other apps' notifications, other actions and closing are
	// not clicks; signals on one connection arrive in order, so the first
	// click seen must be the real one.
	if err := s.Send(ctx, Notification{Title: "two", Target: "other"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctx, Notification{Title: "three"}); err != nil {
		t.Fatal(err)
	}
	_, id2 := server.call("two")
	_, id3 := server.call("three")
	server.emit(t, "ActionInvoked", uint32(1000), "default")
	server.emit(t, "ActionInvoked", id2, "snooze")
	server.emit(t, "NotificationClosed", id2, uint32(2))
	server.emit(t, "ActionInvoked", id1, "default")
	if got := nextClick(t, clicks); got != "ga-1" {
		t.Errorf("first click = %q; want ga-1", got)
	}
	server.emit(t, "ActionInvoked", id1, "default") // already handled
	server.emit(t, "ActionInvoked", id3, "default")
	if got := nextClick(t, clicks); got != "" {
		t.Errorf("click on a notification without target = %q; want empty", got)
	}
}

func TestDBusSenderWithoutBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	s := NewDBusSender("Relink", "relink", "relink", nil)
	err := s.Send(context.Background(), Notification{Title: "x"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Send without a bus = %v; want ErrUnavailable", err)
	}
	if p := integration.AsProblem(err); p.Code != "error.notifications_unavailable" {
		t.Errorf("problem code = %q; want error.notifications_unavailable", p.Code)
	}
}

// startXvfb starts a private X server on a free display and returns its
// name (":N").
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "640x480x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal("Xvfb exited without a display")
		}
		return ":" + n
	case <-time.After(15 * time.Second):
		t.Fatal("Xvfb did not report a display")
		return ""
	}
}

func dunstctl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("dunstctl", args...).Output()
	if err != nil {
		t.Fatalf("dunstctl %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// TestDBusSenderWithDunst sends to a real notification daemon (dunst on a
// private Xvfb display), clicks the notification with dunstctl and reads
// it back from dunst's history.
func TestDBusSenderWithDunst(t *testing.T) {
	bus := testrig.PrivateBus(t)
	for _, tool := range []string{"dunst", "dunstctl", "Xvfb"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make deps)", tool)
		}
	}
	if owned(t, bus, fdoName) {
		t.Skip("a notification daemon already owns " + fdoName)
	}
	display := startXvfb(t)
	config := filepath.Join(t.TempDir(), "dunstrc")
	if err := os.WriteFile(config, []byte("[global]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dunst := exec.Command("dunst", "-config", config)
	dunst.Env = append(os.Environ(), "DISPLAY="+display)
	if err := dunst.Start(); err != nil {
		t.Fatalf("start dunst: %v", err)
	}
	t.Cleanup(func() {
		dunst.Process.Signal(syscall.SIGTERM)
		dunst.Wait()
	})
	waitFor(t, "dunst on the bus", func() bool { return owned(t, bus, fdoName) })

	clicks := make(chan string, 10)
	s := NewDBusSender("Relink", "relink", "relink", func(target string) { clicks <- target })
	t.Cleanup(func() { s.Close() })
	n := Notification{Title: "Stripe needs attention", Body: "Relink cannot reach it.", Target: "stripe-1", Action: "Fix now"}
	if err := s.Send(context.Background(), n); err != nil {
		t.Fatalf("Send: %v", err)
	}
	waitFor(t, "dunst to display the notification", func() bool { return dunstctl(t, "count", "displayed") == "1" })

	dunstctl(t, "action", "0")
	if got := nextClick(t, clicks); got != "stripe-1" {
		t.Errorf("click = %q; want stripe-1", got)
	}

	dunstctl(t, "close")
	waitFor(t, "the notification in dunst's history", func() bool { return dunstctl(t, "count", "history") == "1" })
	var history struct {
		Data [][]map[string]struct {
			Data any `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(dunstctl(t, "history")), &history); err != nil {
		t.Fatalf("parse dunstctl history: %v", err)
	}
	if len(history.Data) != 1 || len(history.Data[0]) != 1 {
		t.Fatalf("history = %+v; want one notification", history)
	}
	h := history.Data[0][0]
	for field, want := range map[string]string{"appname": "Relink", "summary": n.Title, "body": n.Body} {
		if got := h[field].Data; got != want {
			t.Errorf("history %s = %v; want %q", field, got, want)
		}
	}
}
