package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"relink/backend/integration"
	"relink/backend/internal/testrig"
)

// fakeClock runs timers when the test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Duration
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Duration
	f       func()
	stopped bool
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now + d, f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now += d
	var due []*fakeTimer
	for _, t := range c.timers {
		if !t.stopped && t.at <= c.now {
			t.stopped = true
			due = append(due, t)
		}
	}
	c.mu.Unlock()
	for _, t := range due {
		t.f()
	}
}

type fakeSender struct {
	mu   sync.Mutex
	sent []Notification
	err  error
}

func (s *fakeSender) Send(_ context.Context, n Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.sent = append(s.sent, n)
	return nil
}

func (s *fakeSender) take() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.sent
	s.sent = nil
	return out
}

type rig struct {
	*Notifier
	clock  *fakeClock
	sender *fakeSender
	logs   *bytes.Buffer
}

func newRig(t *testing.T) rig {
	clock, sender, logs := &fakeClock{}, &fakeSender{}, &bytes.Buffer{}
	n := New(Config{
		Sender: sender, Translator: testrig.Translator(t), Clock: clock,
		Logger: slog.New(slog.NewTextHandler(logs, nil)), Enabled: true,
	})
	t.Cleanup(n.Close)
	return rig{n, clock, sender, logs}
}

const (
	connected   = integration.StatusConnected
	expiring    = integration.StatusExpiring
	needsReauth = integration.StatusNeedsReauth
	failing     = integration.StatusError
	degraded    = integration.StatusDegraded
	checking    = integration.StatusChecking
	paused      = integration.StatusPaused
)

// observe reports a change of the integration id (named name).
func (r rig) observe(id, name string, from, to integration.Status) {
	r.Observe(integration.Integration{ID: id, Name: name, Status: to}, from, to, time.Time{})
}

func TestBurstIsCoalesced(t *testing.T) {
	r := newRig(t)
	var names []string
	for i := range 10 {
		name := fmt.Sprintf("Shop %d", i)
		names = append(names, name)
		r.observe(fmt.Sprintf("s%d", i), name, connected, needsReauth)
		r.clock.Advance(5 * time.Second)
	}
	if got := r.sender.take(); len(got) != 0 {
		t.Fatalf("sent %d notifications inside the window; want 0: %+v", len(got), got)
	}
	r.clock.Advance(DefaultWindow)
	got := r.sender.take()
	want := []Notification{{Title: "10 integrations need attention", Body: strings.Join(names, ", "), Action: "Open Relink"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sent %+v; want %+v", got, want)
	}

	// A later failure opens a new window.
	r.observe("x", "Xero", connected, failing)
	r.clock.Advance(DefaultWindow)
	got = r.sender.take()
	want = []Notification{{Title: "Xero needs attention", Body: "Relink cannot reach it. Click to see why.", Target: "x", Action: "Fix now"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("second window sent %+v; want %+v", got, want)
	}
}

func TestLongListIsCut(t *testing.T) {
	r := newRig(t)
	for i := range 13 {
		r.observe(fmt.Sprint(i), fmt.Sprint("I", i), connected, failing)
	}
	r.clock.Advance(DefaultWindow)
	got := r.sender.take()
	if len(got) != 1 {
		t.Fatalf("sent %d notifications; want 1", len(got))
	}
	if want := "I0, I1, I2, I3, I4, I5, I6, I7, I8, I9 and 3 more"; got[0].Body != want {
		t.Errorf("body = %q; want %q", got[0].Body, want)
	}
}

func TestTransitions(t *testing.T) {
	type obs struct {
		id       string
		from, to integration.Status
	}
	tests := []struct {
		name string
		obs  []obs
		want []Notification
	}{
		{
			"break needing reauthorization",
			[]obs{{"ga", connected, needsReauth}},
			[]Notification{{Title: "GA needs attention", Body: "Its authorization expired or was revoked. Click to reauthorize.", Target: "ga", Action: "Fix now"}},
		},
		{
			"degraded from expiring",
			[]obs{{"ga", expiring, degraded}},
			[]Notification{{Title: "GA needs attention", Body: "It works only in part. Click to see why.", Target: "ga", Action: "Fix now"}},
		},
		{
			"recovery",
			[]obs{{"ga", needsReauth, connected}},
			[]Notification{{Title: "GA is working again", Body: "No action needed.", Action: "Open Relink"}},
		},
		{
			"checking in between is not a settled state",
			[]obs{{"ga", connected, checking}, {"ga", checking, failing}},
			[]Notification{{Title: "GA needs attention", Body: "Relink cannot reach it. Click to see why.", Target: "ga", Action: "Fix now"}},
		},
		{
			"the newest broken status decides the body",
			[]obs{{"ga", connected, failing}, {"ga", failing, needsReauth}},
			[]Notification{{Title: "GA needs attention", Body: "Its authorization expired or was revoked. Click to reauthorize.", Target: "ga", Action: "Fix now"}},
		},
		{
			"break then recovery inside the window is silent",
			[]obs{{"ga", connected, failing}, {"ga", failing, connected}},
			nil,
		},
		{
			"broken to broken is not news",
			[]obs{{"ga", failing, needsReauth}},
			nil,
		},
		{
			"healthy to expiring is not a break",
			[]obs{{"ga", connected, expiring}},
			nil,
		},
		{
			"paused integrations do not notify",
			[]obs{{"ga", connected, paused}, {"ga", paused, failing}, {"st", failing, paused}, {"st", paused, connected}},
			nil,
		},
		{
			"unknown previous status is not a break",
			[]obs{{"ga", "", failing}, {"st", "", connected}},
			nil,
		},
		{
			"an unknown status counts as broken",
			[]obs{{"ga", connected, "bogus"}},
			[]Notification{{Title: "GA needs attention", Body: "Relink cannot reach it. Click to see why.", Target: "ga", Action: "Fix now"}},
		},
		{
			"breaks and recoveries in one window",
			[]obs{{"ga", connected, failing}, {"st", failing, connected}, {"sf", connected, needsReauth}, {"pg", degraded, expiring}},
			[]Notification{
				{Title: "2 integrations need attention", Body: "GA, SF", Action: "Open Relink"},
				{Title: "2 integrations are working again", Body: "ST, PG", Action: "Open Relink"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			for _, o := range tt.obs {
				r.observe(o.id, strings.ToUpper(o.id), o.from, o.to)
			}
			r.clock.Advance(DefaultWindow)
			if got := r.sender.take(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sent %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestDisabled(t *testing.T) {
	r := newRig(t)
	r.SetEnabled(false)
	r.observe("ga", "GA", connected, needsReauth)
	r.clock.Advance(DefaultWindow)
	if got := r.sender.take(); len(got) != 0 {
		t.Errorf("sent %+v while disabled; want nothing", got)
	}

	// Turning them back on does not announce old news, only new changes.
	r.SetEnabled(true)
	r.clock.Advance(DefaultWindow)
	r.observe("ga", "GA", needsReauth, connected)
	r.clock.Advance(DefaultWindow)
	want := []Notification{{Title: "GA is working again", Body: "No action needed.", Action: "Open Relink"}}
	if got := r.sender.take(); !reflect.DeepEqual(got, want) {
		t.Errorf("sent %+v after re-enabling; want %+v", got, want)
	}
}

func TestDisablingDropsTheOpenWindow(t *testing.T) {
	r := newRig(t)
	r.observe("ga", "GA", connected, needsReauth)
	r.SetEnabled(false)
	r.SetEnabled(true)
	r.clock.Advance(DefaultWindow)
	if got := r.sender.take(); len(got) != 0 {
		t.Errorf("sent %+v from a window opened before disabling; want nothing", got)
	}
}

func TestForget(t *testing.T) {
	r := newRig(t)
	r.observe("ga", "GA", connected, needsReauth)
	r.Forget("ga")
	r.clock.Advance(DefaultWindow)
	if got := r.sender.take(); len(got) != 0 {
		t.Errorf("sent %+v for a removed integration; want nothing", got)
	}
}

func TestSendFailureIsLoggedOnce(t *testing.T) {
	r := newRig(t)
	r.sender.err = errors.New("org.freedesktop.DBus.Error.ServiceUnknown")
	for i := range 3 {
		r.observe(fmt.Sprint(i), "X", connected, failing)
		r.clock.Advance(DefaultWindow)
	}
	if got := strings.Count(r.logs.String(), "notifications unavailable"); got != 1 {
		t.Errorf("logged %d warnings over 3 failed sends; want 1:\n%s", got, r.logs)
	}

	// After a success, a new failure is news again.
	r.sender.err = nil
	r.observe("a", "A", connected, failing)
	r.clock.Advance(DefaultWindow)
	r.sender.err = errors.New("gone again")
	r.observe("b", "B", connected, failing)
	r.clock.Advance(DefaultWindow)
	if got := strings.Count(r.logs.String(), "notifications unavailable"); got != 2 {
		t.Errorf("logged %d warnings; want 2:\n%s", got, r.logs)
	}
}

type sinkFunc func(items []Item)

func (f sinkFunc) Deliver(_ context.Context, items []Item) error { f(items); return nil }

func TestSinkGetsEachWindowsChanges(t *testing.T) {
	type obs struct {
		id       string
		from, to integration.Status
	}
	tests := []struct {
		name string
		obs  []obs
		want []Change
	}{
		{"a burst is one window", []obs{{"a", connected, failing}, {"b", connected, needsReauth}, {"c", failing, connected}}, []Change{Broke, Broke, Recovered}},
		{"connected to expiring is news for a sink", []obs{{"a", connected, expiring}}, []Change{Expiring}},
		{"expiring then broken is one break", []obs{{"a", connected, expiring}, {"a", expiring, failing}}, []Change{Broke}},
		{"a recovery then expiring keeps both", []obs{{"a", failing, connected}, {"a", connected, expiring}}, []Change{Recovered, Expiring}},
		{"a blip inside the window is silent", []obs{{"a", connected, failing}, {"a", failing, connected}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{}
			var got []Change
			n := New(Config{Sink: sinkFunc(func(items []Item) {
				for _, it := range items {
					got = append(got, it.Change)
				}
			}), Clock: clock, Enabled: true})
			t.Cleanup(n.Close)
			for _, o := range tt.obs {
				n.Observe(integration.Integration{ID: o.id, Name: o.id, Status: o.to}, o.from, o.to, time.Time{})
			}
			clock.Advance(DefaultWindow)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("delivered %v; want %v", got, tt.want)
			}
		})
	}
}
