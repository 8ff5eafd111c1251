package alerts_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"relink/backend/alerts"
	"relink/backend/integration"
	"relink/backend/internal/testrig"
	"relink/backend/notify"
	"relink/backend/secrets"
	"relink/backend/store"
)

// receiver is a real local HTTP receiver that records what it is sent
// and can be taken down.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	down   bool
	got    chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{got: make(chan struct{}, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		down := r.down
		if !down {
			r.bodies = append(r.bodies, b)
		}
		r.mu.Unlock()
		if down {
			// Slack's answer for a webhook that is gone or a channel archived.
			http.Error(w, "no_service", http.StatusNotFound)
			return
		}
		if req.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		w.Write([]byte("ok"))
		r.got <- struct{}{}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setDown(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
}

func (r *receiver) take() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.bodies
	r.bodies = nil
	return out
}

// wait blocks until n messages arrived (or the test's deadline).
func (r *receiver) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-r.got:
		case <-time.After(20 * time.Second):
			t.Fatalf("receiver did not get message(s) in time; got %d so far", len(r.bodies))
		}
	}
}

type rig struct {
	st   *store.Store
	keys *secrets.Keychain
	mgr  *alerts.Manager
	disp *alerts.Dispatcher
	dir  string
}

func newRig(t *testing.T, dir string) rig {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return rigWith(t, st, secrets.NewWithBackend("relink", time.Second, sharedKeys(t), nil), dir)
}

var (
	memOnce sync.Mutex
	mems    = map[string]*secrets.Memory{}
)

// sharedKeys is one in-memory keychain per test, surviving a "restart".
func sharedKeys(t *testing.T) *secrets.Memory {
	memOnce.Lock()
	defer memOnce.Unlock()
	m, ok := mems[t.Name()]
	if !ok {
		m = secrets.NewMemory()
		mems[t.Name()] = m
	}
	return m
}

func rigWith(t *testing.T, st *store.Store, keys *secrets.Keychain, dir string) rig {
	tr := testrig.Translator(t)
	disp := &alerts.Dispatcher{Outbox: st, Secrets: keys, Client: http.DefaultClient, Tr: tr,
		RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		ProviderName: func(id string) string { return strings.ToUpper(id) }}
	mgr := &alerts.Manager{Store: st, Secrets: keys, Client: http.DefaultClient, Tr: tr, Wake: disp.Wake}
	return rig{st: st, keys: keys, mgr: mgr, disp: disp, dir: dir}
}

func (r rig) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.disp.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func item(ch notify.Change, id string, from, to integration.Status, p *integration.Problem) notify.Item {
	in := integration.Integration{ID: id, Name: "Int " + id, Provider: "ga", Status: to, Problem: p}
	if p != nil {
		in.Cause = integration.CauseAccessRevoked
	}
	return notify.Item{Change: ch, Integration: in, From: from, To: to, At: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
}

func TestPayloadsMatchTheirDocumentedShapes(t *testing.T) {
	r := newRig(t, t.TempDir())
	recv := map[alerts.Format]*receiver{}
	for _, f := range []alerts.Format{alerts.FormatSlack, alerts.FormatTeams, alerts.FormatJSON} {
		recv[f] = newReceiver(t)
		if _, err := r.mgr.Add(context.Background(), string(f), f, recv[f].URL+"/hook/"+string(f)); err != nil {
			t.Fatal(err)
		}
	}
	r.run(t)
	revoked := integration.NewProblem("problem.access_revoked")
	if err := r.disp.Deliver(context.Background(), []notify.Item{item(notify.Broke, "a", integration.StatusConnected, integration.StatusNeedsReauth, revoked)}); err != nil {
		t.Fatal(err)
	}
	for f, rc := range recv {
		rc.wait(t, 1)
		bodies := rc.take()
		if len(bodies) != 1 {
			t.Fatalf("%s got %d messages; want 1", f, len(bodies))
		}
		var doc map[string]any
		if err := json.Unmarshal(bodies[0], &doc); err != nil {
			t.Fatalf("%s body is not JSON: %v", f, err)
		}
		switch f {
		case alerts.FormatSlack:
			// https://api.slack.com/messaging/webhooks: `text` is the
			// notification fallback; blocks are Block Kit.
			if got, want := doc["text"], "Relink: Int a needs attention"; got != want {
				t.Errorf("slack text = %v; want %v", got, want)
			}
			blocks, _ := doc["blocks"].([]any)
			if len(blocks) != 2 {
				t.Fatalf("slack blocks = %d; want header + 1 section: %s", len(blocks), bodies[0])
			}
			sec := blocks[1].(map[string]any)["text"].(map[string]any)
			if sec["type"] != "mrkdwn" || !strings.Contains(sec["text"].(string), "<relink://open/a|Open in Relink>") ||
				!strings.Contains(sec["text"].(string), "Needs reauthorization") {
				t.Errorf("slack section = %v; want mrkdwn with status and the relink:// link", sec)
			}
		case alerts.FormatTeams:
			// Teams: a message with one Adaptive Card attachment.
			att := doc["attachments"].([]any)[0].(map[string]any)
			card := att["content"].(map[string]any)
			if doc["type"] != "message" || att["contentType"] != "application/vnd.microsoft.card.adaptive" ||
				card["type"] != "AdaptiveCard" || card["version"] != "1.4" {
				t.Errorf("teams body = %s; want a message with an AdaptiveCard 1.4 attachment", bodies[0])
			}
			if !strings.Contains(string(bodies[0]), "relink://open/a") {
				t.Errorf("teams card lacks the relink:// link: %s", bodies[0])
			}
		case alerts.FormatJSON:
			var ev alerts.Event
			if err := json.Unmarshal(bodies[0], &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Schema != "relink.alert.v1" || ev.Kind != alerts.KindBroken || len(ev.Integrations) != 1 {
				t.Fatalf("json event = %+v; want one broken integration, schema v1", ev)
			}
			in := ev.Integrations[0]
			if in.ID != "a" || in.Provider != "ga" || in.ProviderName != "GA" || in.OldStatus != integration.StatusConnected ||
				in.NewStatus != integration.StatusNeedsReauth || in.Cause != integration.CauseAccessRevoked ||
				in.Problem == nil || in.Problem.Code != "problem.access_revoked" || in.Link != "relink://open/a" {
				t.Errorf("json integration = %+v", in)
			}
		}
	}
}

// coalesced wires a Notifier to the dispatcher as the app does.
func coalesced(t *testing.T, r rig) (*notify.Notifier, *fakeClock) {
	clock := &fakeClock{}
	n := notify.New(notify.Config{Sink: r.disp, Clock: clock, Enabled: true})
	t.Cleanup(n.Close)
	return n, clock
}

func TestBreakThenRecoveryIsTwoMessagesAndABurstIsOne(t *testing.T) {
	r := newRig(t, t.TempDir())
	rc := newReceiver(t)
	if _, err := r.mgr.Add(context.Background(), "team", alerts.FormatJSON, rc.URL); err != nil {
		t.Fatal(err)
	}
	r.run(t)
	n, clock := coalesced(t, r)
	ga := integration.Integration{ID: "ga", Name: "GA", Provider: "ga", Status: integration.StatusNeedsReauth}
	n.Observe(ga, integration.StatusConnected, integration.StatusNeedsReauth, time.Now())
	clock.Advance(notify.DefaultWindow)
	ga.Status = integration.StatusConnected
	n.Observe(ga, integration.StatusNeedsReauth, integration.StatusConnected, time.Now())
	clock.Advance(notify.DefaultWindow)
	rc.wait(t, 2)
	kinds := kindsOf(t, rc.take())
	if got, want := strings.Join(kinds, ","), "broken:1,recovered:1"; got != want {
		t.Errorf("messages = %s; want %s", got, want)
	}

	for i := range 10 {
		id := string(rune('a' + i))
		n.Observe(integration.Integration{ID: id, Name: id, Provider: "ga", Status: integration.StatusError},
			integration.StatusConnected, integration.StatusError, time.Now())
	}
	clock.Advance(notify.DefaultWindow)
	rc.wait(t, 1)
	if got, want := strings.Join(kindsOf(t, rc.take()), ","), "broken:10"; got != want {
		t.Errorf("a burst of ten breaks sent %s; want one message with %s", got, want)
	}
}

func kindsOf(t *testing.T, bodies [][]byte) []string {
	var out []string
	for _, b := range bodies {
		var ev alerts.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, string(ev.Kind)+":"+itoa(len(ev.Integrations)))
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestReceiverDownGetsEventsLaterInOrderAlsoAfterARestart(t *testing.T) {
	dir := t.TempDir()
	rc := newReceiver(t)
	rc.setDown(true)
	first := newRig(t, dir)
	if _, err := first.mgr.Add(context.Background(), "team", alerts.FormatJSON, rc.URL); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"one", "two", "three"} {
		if err := first.disp.Deliver(context.Background(), []notify.Item{item(notify.Broke, id, integration.StatusConnected, integration.StatusError, nil)}); err != nil {
			t.Fatal(err)
		}
	}
	// One attempt while the receiver is down: it fails, the destination
	// shows it and history records it once.
	first.disp.Drain(context.Background())
	ds, err := first.mgr.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].FailingSince.IsZero() || ds[0].LastStatus != 404 || ds[0].Pending != 3 || !strings.Contains(ds[0].LastError, "no_service") {
		t.Fatalf("destination after a failed attempt = %+v; want failing, HTTP 404 no_service, 3 pending", ds)
	}
	evs, err := first.st.QueryEvents(context.Background(), store.EventFilter{Kinds: []integration.EventKind{integration.EventAlert}})
	if err != nil || len(evs) != 1 || evs[0].Message != "alert.failing" {
		t.Fatalf("history = %+v, %v; want one alert.failing event", evs, err)
	}
	first.st.Close()

	// "Restart": a new store and dispatcher over the same file.
	rc.setDown(false)
	second := newRig(t, dir)
	second.run(t)
	rc.wait(t, 3)
	var ids []string
	for _, b := range rc.take() {
		var ev alerts.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.Integrations[0].ID)
	}
	if got, want := strings.Join(ids, ","), "one,two,three"; got != want {
		t.Errorf("delivered %s after restart; want %s in order", got, want)
	}
	evs, _ = second.st.QueryEvents(context.Background(), store.EventFilter{Kinds: []integration.EventKind{integration.EventAlert}})
	if len(evs) != 2 || evs[0].Message != "alert.delivering_again" {
		t.Errorf("history = %+v; want alert.delivering_again after alert.failing", evs)
	}
}

func TestWebhookURLStaysInTheKeychain(t *testing.T) {
	dir := t.TempDir()
	r := newRig(t, dir)
	rc := newReceiver(t)
	rc.setDown(true)
	secretPath := "/services/T000/B000/keep-this-out-of-files"
	if _, err := r.mgr.Add(context.Background(), "team", alerts.FormatSlack, rc.URL+secretPath); err != nil {
		t.Fatal(err)
	}
	if err := r.disp.Deliver(context.Background(), []notify.Item{item(notify.Broke, "a", integration.StatusConnected, integration.StatusError, nil)}); err != nil {
		t.Fatal(err)
	}
	r.disp.Drain(context.Background())
	r.st.Close()
	n := 0
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		n++
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), "keep-this-out-of-files") {
			t.Errorf("%s holds the webhook URL", p)
		}
		return nil
	})
	if n == 0 {
		t.Fatal("walked no files: the data dir scan checked nothing")
	}
}

func TestAddRefusesBadInput(t *testing.T) {
	r := newRig(t, t.TempDir())
	tests := []struct {
		name, label, format, url, want string
	}{
		{"no label", " ", "slack", "https://hooks.slack.com/services/x", "error.alert_label_required"},
		{"unknown format", "a", "email", "https://example.com/x", "error.alert_format"},
		{"not a URL", "a", "json", "hooks.slack.com", "error.alert_url"},
		{"plain http to another host", "a", "json", "http://example.com/x", "error.alert_url_https"},
		{"credentials in the URL", "a", "json", "https://u:p@example.com/x", "error.field_invalid.userinfo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.mgr.Add(context.Background(), tt.label, alerts.Format(tt.format), tt.url)
			if p := integration.AsProblem(err); err == nil || p.Code != tt.want {
				t.Errorf("Add(%q, %q, %q) = %v; want %s", tt.label, tt.format, tt.url, err, tt.want)
			}
		})
	}
	if ds, _ := r.mgr.List(context.Background()); len(ds) != 0 {
		t.Errorf("refused adds left %d destinations", len(ds))
	}
}

func TestTestReportsTheHTTPAnswer(t *testing.T) {
	r := newRig(t, t.TempDir())
	rc := newReceiver(t)
	if _, err := r.mgr.Add(context.Background(), "Team", alerts.FormatSlack, rc.URL); err != nil {
		t.Fatal(err)
	}
	_, res, err := r.mgr.Test(context.Background(), "team")
	if err != nil || res.Status != 200 || res.Body != "ok" {
		t.Errorf("Test = %+v, %v; want 200 ok", res, err)
	}
	rc.setDown(true)
	_, res, err = r.mgr.Test(context.Background(), "team")
	if err != nil || res.Status != 404 || res.Body != "no_service" {
		t.Errorf("Test to a gone webhook = %+v, %v; want 404 no_service", res, err)
	}
}

// fakeClock runs the coalescing timer when the test advances it.
type fakeClock struct {
	mu sync.Mutex
	fs []func()
}

func (c *fakeClock) AfterFunc(_ time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fs = append(c.fs, f)
	i := len(c.fs) - 1
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := c.fs[i] != nil
		c.fs[i] = nil
		return was
	}
}

func (c *fakeClock) Advance(time.Duration) {
	c.mu.Lock()
	fs := c.fs
	c.fs = make([]func(), len(fs))
	c.mu.Unlock()
	for _, f := range fs {
		if f != nil {
			f()
		}
	}
}
