package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// startXvfb runs a private X server for the window and dunst.
func startXvfb(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("needs Xvfb")
	}
	for n := 150; n < 200; n++ {
		if displayInUse(n) {
			continue
		}
		cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// SIGTERM lets Xvfb remove its socket and lock file.
		t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				return fmt.Sprintf(":%d", n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Fatal("no free X display")
	return ""
}

// displayInUse reports whether display n belongs to a live X server. The
// socket and lock of a server that was killed stay behind; they are
// removed, or every display would look taken after enough runs.
func displayInUse(n int) bool {
	lock, sock := fmt.Sprintf("/tmp/.X%d-lock", n), fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	if b, err := os.ReadFile(lock); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && syscall.Kill(pid, 0) == nil {
			return true
		}
	} else if _, err := os.Stat(sock); err == nil {
		return true // a socket without our kind of lock: leave it alone
	}
	os.Remove(lock)
	os.Remove(sock)
	return false
}

func eventually(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// trayItem reads Relink's StatusNotifierItem like a tray host.
type trayItem struct {
	conn *dbus.Conn
	name string
}

// prop reads a property; ok is false when the item is gone or busy (the
// callers poll, so a miss is a "not yet", never a panic on a zero Variant).
func (ti trayItem) prop(name string) (dbus.Variant, bool) {
	v, err := ti.conn.Object(ti.name, "/StatusNotifierItem").GetProperty("org.kde.StatusNotifierItem." + name)
	return v, err == nil && v.Value() != nil
}

func (ti trayItem) tooltip() string {
	var tip struct {
		Name  string
		Icons []struct {
			W, H int32
			Pix  []byte
		}
		Title, Text string
	}
	v, ok := ti.prop("ToolTip")
	if !ok || v.Store(&tip) != nil {
		return ""
	}
	return tip.Title
}

func (ti trayItem) icon() []byte {
	var px []struct {
		W, H int32
		Pix  []byte
	}
	v, ok := ti.prop("IconPixmap")
	if !ok || v.Store(&px) != nil {
		return nil
	}
	if len(px) == 0 {
		return nil
	}
	return px[0].Pix
}

// menuIDs bounds the row ids asked for: fyne.io/systray gives every
// rebuilt row a new id, so a long test with many integrations goes far.
const menuIDs = 1 << 14

// clickRow finds a menu row by label and clicks it over com.canonical.dbusmenu.
func (ti trayItem) clickRow(t *testing.T, prefix string) {
	t.Helper()
	ids := make([]int32, menuIDs)
	for i := range ids {
		ids[i] = int32(i + 1)
	}
	var props []struct {
		ID    int32
		Props map[string]dbus.Variant
	}
	menu := ti.conn.Object(ti.name, "/StatusNotifierItem/menu")
	if err := menu.Call("com.canonical.dbusmenu.GetGroupProperties", 0, ids, []string{}).Store(&props); err != nil {
		t.Fatalf("menu: %v", err)
	}
	var labels []string
	for _, p := range props {
		l, _ := p.Props["label"].Value().(string)
		labels = append(labels, l)
		if strings.HasPrefix(l, prefix) {
			if err := menu.Call("com.canonical.dbusmenu.Event", 0, p.ID, "clicked", dbus.MakeVariant(""), uint32(0)).Err; err != nil {
				t.Fatalf("click %q: %v", l, err)
			}
			return
		}
	}
	t.Fatalf("no menu row %q in %q", prefix, labels)
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDunst runs dunst as the session's notification daemon and waits
// until it owns org.freedesktop.Notifications. A call to that name while
// no daemon runs makes D-Bus activate dunst without a display, which
// crashes but may hold the name long enough that ours gives up: so ours is
// started again until it is the owner.
func startDunst(t *testing.T, display string) {
	t.Helper()
	if _, err := exec.LookPath("dunst"); err != nil {
		t.Skip("needs dunst")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 0; attempt < 5; attempt++ {
		dunst := exec.Command("dunst")
		dunst.Env = append(os.Environ(), "DISPLAY="+display)
		if err := dunst.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { dunst.Wait(); close(exited) }()
		for i := 0; i < 100; i++ {
			var pid uint32
			if conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, "org.freedesktop.Notifications").Store(&pid) == nil &&
				int(pid) == dunst.Process.Pid {
				t.Cleanup(func() { dunst.Process.Kill(); <-exited })
				return
			}
			select {
			case <-exited:
				i = 100
			case <-time.After(100 * time.Millisecond):
			}
		}
		dunst.Process.Kill()
		<-exited
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatal("dunst never became the session's notification daemon")
}

func dunstHistory() string {
	out, _ := exec.Command("dunstctl", "history").Output()
	return string(out)
}

// runningApp is the real window process and its tray icon.
type runningApp struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	tray   trayItem
}

// launchApp starts the window over data (in the test's private D-Bus
// session, on display) and waits until its tray icon is up.
func launchApp(t *testing.T, display, data string, env ...string) *runningApp {
	t.Helper()
	app := exec.Command(bins.relink, "--data-dir", data)
	app.Env = append(os.Environ(), append([]string{"DISPLAY=" + display, "LANG=en_US.UTF-8"}, env...)...)
	ra := &runningApp{cmd: app, stderr: &lockedBuffer{}}
	app.Stderr = ra.stderr
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Process.Signal(os.Interrupt); app.Wait() })
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ra.tray = trayItem{conn: conn, name: fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", app.Process.Pid)}
	eventually(t, "the StatusNotifierItem", 30*time.Second, func() bool {
		var owned bool
		conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, ra.tray.name).Store(&owned)
		return owned && ra.tray.tooltip() != ""
	})
	return ra
}

// stop quits the app as Ctrl+C does and waits for it.
func (ra *runningApp) stop(t *testing.T) {
	t.Helper()
	ra.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { ra.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		ra.cmd.Process.Kill()
		t.Errorf("the app did not quit on interrupt")
	}
}

// alive reports whether the app is still running.
func (ra *runningApp) alive() bool { return ra.cmd.Process.Signal(syscall.Signal(0)) == nil }

// teamReceiver is a local webhook receiver for team alerts (JSON format).
type teamReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []string
}

func newTeamReceiver(t *testing.T) *teamReceiver {
	r := &teamReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var ev struct {
			Kind         string
			Integrations []struct{ Name string }
		}
		if err := json.NewDecoder(req.Body).Decode(&ev); err != nil {
			http.Error(w, "invalid_payload", 400)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, in := range ev.Integrations {
			r.got = append(r.got, ev.Kind+":"+in.Name)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *teamReceiver) kinds() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.got, ",")
}

// integrationID looks an integration's id up with the CLI.
func integrationID(t *testing.T, data, name string) string {
	t.Helper()
	r := relinkCLI(t, data, "", "list", "--json")
	var vs []struct{ ID, Name string }
	if err := json.Unmarshal([]byte(r.stdout), &vs); err != nil {
		t.Fatalf("list --json: %v\n%s", err, r.stdout)
	}
	for _, v := range vs {
		if v.Name == name {
			return v.ID
		}
	}
	t.Fatalf("no integration %q in %s", name, r.stdout)
	return ""
}

// openLink installs the desktop entry for a throwaway user (the real
// install script) and opens link with xdg-open, as a click in a chat
// message would. RELINK_DATA_DIR makes the launched process the same
// instance as the running window.
func openLink(t *testing.T, data string, env []string, link string) {
	t.Helper()
	if _, err := exec.LookPath("xdg-open"); err != nil {
		t.Skip("needs xdg-open (xdg-utils)")
	}
	home := t.TempDir()
	var base []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_DATA_HOME=") && !strings.HasPrefix(kv, "BROWSER=") &&
			!strings.HasPrefix(kv, "XDG_CURRENT_DESKTOP=") {
			base = append(base, kv)
		}
	}
	base = append(base, "HOME="+home, "XDG_DATA_HOME="+home+"/.local/share", "RELINK_DATA_DIR="+data)
	inst := exec.Command("../../build/linux/install-user.sh", bins.relink)
	inst.Env = base
	if out, err := inst.CombinedOutput(); err != nil {
		t.Fatalf("install-user.sh: %v\n%s", err, out)
	}
	q, _ := exec.Command("env", append(base, "xdg-mime", "query", "default", "x-scheme-handler/relink")...).Output()
	if strings.TrimSpace(string(q)) != "relink.desktop" {
		t.Fatalf("xdg-mime: relink:// is handled by %q; want relink.desktop", q)
	}
	cmd := exec.Command("xdg-open", link)
	cmd.Env = base
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdg-open %s: %v\n%s", link, err, out)
	}
}

// TestDesktop runs the real window in a private D-Bus session under Xvfb
// with dunst as the notification daemon: the tray icon and tooltip follow
// a break and a recovery, its menu drives "Check all now", notifications
// arrive, and a second launch hands its arguments to the first.
func TestDesktop(t *testing.T) {
	needRig(t)
	build(t)
	display := startXvfb(t)
	startDunst(t, display)

	var mu sync.Mutex
	valid := "key-one"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok := r.Header.Get("Authorization") == "Bearer "+valid
		mu.Unlock()
		if !ok {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, `{"email":"ops@example.com"}`)
	}))
	defer api.Close()
	setKey := func(k string) { mu.Lock(); valid = k; mu.Unlock() }

	data := t.TempDir()
	if r := relinkCLI(t, data, "key-one\n", "add", "custom-api-key", "--name", "Orders API", "--set", "test_url="+api.URL,
		"--set", "account_path=email", "--secret-stdin"); r.code != 0 {
		t.Fatalf("add: %s", r.stderr)
	}
	// An OAuth integration not authorized yet: its tray row must start the
	// authorization, which opens $BROWSER (here a script noting the URL).
	sb := startSandbox(t)
	for _, name := range []string{"Analytics", "CRM"} {
		if r := relinkCLI(t, data, "", "add", "custom-oauth2", "--name", name, "--set", "issuer="+sb.URL,
			"--set", "client_id=relink", "--no-auth"); r.code != 0 {
			t.Fatalf("add oauth %s: %s", name, r.stderr)
		}
	}
	// A team alert destination: a local JSON receiver.
	team := newTeamReceiver(t)
	if r := relinkCLI(t, data, team.URL+"\n", "alerts", "add", "team", "--format", "json"); r.code != 0 {
		t.Fatalf("alerts add: %s", r.stderr)
	}
	opened := t.TempDir() + "/opened"
	browser := t.TempDir() + "/browser"
	os.WriteFile(browser, []byte("#!/bin/sh\necho \"$1\" >> "+opened+"\n"), 0o755)
	ra := launchApp(t, display, data, "RELINK_NOTIFY_COALESCE=1s", "BROWSER="+browser)
	ti := ra.tray
	defer func() {
		if t.Failed() {
			var names []string
			ti.conn.BusObject().Call("org.freedesktop.DBus.ListNames", 0).Store(&names)
			h := relinkCLI(t, data, "", "history", "--json", "--limit", "20")
			t.Logf("bus names: %v\napp stderr:\n%s\nhistory:\n%s", names, ra.stderr.String(), h.stdout)
		}
	}()
	if tip := ti.tooltip(); !strings.Contains(tip, "need") {
		t.Errorf("tooltip with one unauthorized integration: %q", tip)
	}
	// The integration's row starts its reauthorization (the window opens
	// the dialog, the dialog starts the browser flow).
	// The first checks may rebuild the menu under a click (a stale row
	// never fires), so click again until the browser is asked.
	clicked := time.Time{}
	eventually(t, "the browser to be asked for the authorization URL", 30*time.Second, func() bool {
		if time.Since(clicked) > 5*time.Second {
			ti.clickRow(t, "Reauthorize Analytics")
			clicked = time.Now()
		}
		b, _ := os.ReadFile(opened)
		return strings.Contains(string(b), sb.URL+"/authorize?")
	})
	// A relink://open/<id> link (as a team alert carries) opened with
	// xdg-open reaches the running window through the installed desktop
	// entry, which opens that integration's repair: a second authorization.
	openLink(t, data, ra.cmd.Env, "relink://open/"+integrationID(t, data, "CRM"))
	eventually(t, "the link to start CRM's authorization", 30*time.Second, func() bool {
		b, _ := os.ReadFile(opened)
		return strings.Count(string(b), sb.URL+"/authorize?") >= 2
	})
	for _, name := range []string{"Analytics", "CRM"} {
		if r := relinkCLI(t, data, "", "remove", name, "--yes"); r.code != 0 {
			t.Fatalf("remove %s: %s", name, r.stderr)
		}
	}
	eventually(t, "a healthy tooltip", 20*time.Second, func() bool { return strings.Contains(ti.tooltip(), "connected") })
	healthyIcon := ti.icon()

	// Break it at the provider and use the tray's "Check all now".
	setKey("key-two")
	ti.clickRow(t, "Check all now")
	eventually(t, "the tooltip to report the break", 20*time.Second, func() bool { return strings.Contains(ti.tooltip(), "need") })
	if bytes.Equal(ti.icon(), healthyIcon) {
		t.Errorf("tray icon did not change on the break")
	}
	r := relinkCLI(t, data, "", "history", "Orders API", "--json")
	if !strings.Contains(r.stdout, `"kind": "check"`) || !strings.Contains(r.stdout, `"needs_reauth"`) {
		t.Errorf("the tray's check left no history: %s", r.stdout)
	}
	eventually(t, "a break notification in dunst", 20*time.Second, func() bool { return strings.Contains(dunstHistory(), "Orders API needs attention") })

	// Repair at the provider; the next check recovers and says so.
	setKey("key-one")
	ti.clickRow(t, "Check all now")
	eventually(t, "the tooltip to report recovery", 20*time.Second, func() bool { return strings.Contains(ti.tooltip(), "connected") })
	if !bytes.Equal(ti.icon(), healthyIcon) {
		t.Errorf("tray icon did not return to healthy")
	}
	eventually(t, "a recovery notification in dunst", 20*time.Second, func() bool { return strings.Contains(dunstHistory(), "Orders API is working again") })
	// The team heard the same two pieces of news, in order.
	eventually(t, "the team alerts for the break and the recovery", 30*time.Second, func() bool {
		return strings.Contains(team.kinds(), "broken:Orders API,recovered:Orders API")
	})

	// A second launch exits and the first receives its arguments.
	second := exec.Command(bins.relink, "--data-dir", data, "--hidden")
	second.Env = ra.cmd.Env
	done := make(chan error, 1)
	go func() { done <- second.Run() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		second.Process.Kill()
		t.Fatalf("the second launch did not exit")
	}
	eventually(t, "the first instance to get the arguments", 10*time.Second, func() bool {
		return strings.Contains(ra.stderr.String(), `"--hidden"`)
	})

	// Quit from the tray: the window's size and position are remembered.
	ti.clickRow(t, "Quit Relink")
	eventually(t, "the window state to be saved", 10*time.Second, func() bool {
		_, err := os.Stat(data + "/window.json")
		return err == nil
	})
}
