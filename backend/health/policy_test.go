package health

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"relink/backend/integration"
)

var (
	t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

	outage    = Verdict{Status: integration.StatusError, Cause: integration.CauseProviderIssue, Problem: integration.NewProblem("problem.provider_outage")}
	refused   = Verdict{Status: integration.StatusError, Cause: integration.CauseLocalProblem, Problem: integration.NewProblem("problem.connection_refused")}
	grantGone = Verdict{Status: integration.StatusNeedsReauth, Cause: integration.CauseAccessRevoked, Problem: integration.NewProblem("problem.access_revoked")}
	fine      = Verdict{Status: integration.StatusConnected}
)

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want time.Duration
	}{
		{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {4, 4 * time.Minute},
		{5, 8 * time.Minute}, {6, 15 * time.Minute}, {40, 15 * time.Minute},
	} {
		if got := backoff(tt.n); got != tt.want {
			t.Errorf("backoff(%d) = %v; want %v", tt.n, got, tt.want)
		}
	}
}

func TestRecheck(t *testing.T) {
	canceled := errors.New("canceled")
	for _, tt := range []struct {
		name        string
		minInterval time.Duration
		answers     []Verdict // the provider's answers, in turn
		sleepErr    error     // the wait ends early (the context ended)
		want        string    // the verdict's problem ("": none)
		wantWaits   []time.Duration
	}{
		{"healthy: one probe, no wait", 0, []Verdict{fine}, nil, "", nil},
		{"a blip: the re-probe's answer", 0, []Verdict{outage, fine}, nil, "", []time.Duration{500 * time.Millisecond}},
		{"an outage: re-probed twice, then believed", 0, []Verdict{outage, outage, refused}, nil, "problem.connection_refused",
			[]time.Duration{500 * time.Millisecond, 1500 * time.Millisecond}},
		{"a refused grant is not re-probed", 0, []Verdict{grantGone, fine}, nil, "problem.access_revoked", nil},
		{"a provider asking for time is probed once", time.Minute, []Verdict{outage, fine}, nil, "problem.provider_outage", nil},
		{"the wait ended: what was seen", 0, []Verdict{outage, fine}, canceled, "problem.provider_outage", []time.Duration{500 * time.Millisecond}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var waits []time.Duration
			p := NewPolicy(PolicyConfig{Sleep: func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return tt.sleepErr
			}})
			probes := 0
			v := p.Recheck(context.Background(), tt.minInterval, func() Verdict {
				probes++
				return tt.answers[probes-1]
			})
			got := ""
			if v.Problem != nil {
				got = v.Problem.Code
			}
			if got != tt.want || !slices.Equal(waits, tt.wantWaits) {
				t.Errorf("Recheck = %q after %d probes, waits %v; want %q, waits %v", got, probes, waits, tt.want, tt.wantWaits)
			}
		})
	}
}

// check is one observed check of the integration "a".
type check struct {
	status      integration.Status // stored before the check
	unconfirmed bool               // stored: a failure not yet confirmed
	explicit    bool
	verdict     Verdict
	// want
	hold    bool
	offline bool
	code    string        // the recorded verdict's problem ("": none)
	retryIn time.Duration // when a re-check is due (0: at the interval)
}

func TestObserve(t *testing.T) {
	connected := integration.StatusConnected
	for _, tt := range []struct {
		name   string
		online bool
		checks []check
	}{
		{"a blip is confirmed by the next check", true, []check{
			{status: connected, verdict: outage, hold: true, code: "problem.provider_outage", retryIn: 30 * time.Second},
			{status: connected, unconfirmed: true, verdict: outage, code: "problem.provider_outage", retryIn: time.Minute},
		}},
		{"a blip that passes is forgotten", true, []check{
			{status: connected, verdict: outage, hold: true, code: "problem.provider_outage", retryIn: 30 * time.Second},
			{status: connected, unconfirmed: true, verdict: fine},
			{status: connected, verdict: outage, hold: true, code: "problem.provider_outage", retryIn: 30 * time.Second},
		}},
		{"an explicit check records what it saw", true, []check{
			{status: connected, explicit: true, verdict: outage, code: "problem.provider_outage", retryIn: 30 * time.Second},
		}},
		{"another process saw the first failure", true, []check{
			{status: connected, unconfirmed: true, verdict: outage, code: "problem.provider_outage", retryIn: time.Minute},
		}},
		{"a broken integration is not held", true, []check{
			{status: integration.StatusError, verdict: refused, code: "problem.connection_refused", retryIn: 30 * time.Second},
			{status: integration.StatusError, verdict: refused, code: "problem.connection_refused", retryIn: time.Minute},
		}},
		{"a lasting failure ends the backoff", true, []check{
			{status: integration.StatusError, verdict: outage, code: "problem.provider_outage", retryIn: 30 * time.Second},
			{status: integration.StatusError, verdict: grantGone, code: "problem.access_revoked"},
		}},
		{"no network: offline, held even when confirmed", false, []check{
			{status: connected, verdict: refused, hold: true, offline: true, code: "problem.offline", retryIn: 30 * time.Second},
			{status: connected, verdict: refused, hold: true, offline: true, code: "problem.offline", retryIn: time.Minute},
		}},
		{"no network, asked explicitly: offline is what it saw", false, []check{
			{status: connected, explicit: true, verdict: refused, offline: true, code: "problem.offline", retryIn: 30 * time.Second},
		}},
		{"no network does not hide a provider's answer", false, []check{
			{status: connected, verdict: grantGone, offline: true, code: "problem.access_revoked"},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPolicy(PolicyConfig{Online: func() bool { return tt.online }})
			for i, c := range tt.checks {
				in := integration.Integration{ID: "a", Status: c.status, LastChecked: t0}
				if c.unconfirmed {
					in.Unconfirmed = integration.NewProblem("problem.provider_outage")
				}
				d := p.Observe(in, c.verdict, c.explicit, t0)
				code := ""
				if d.Verdict.Problem != nil {
					code = d.Verdict.Problem.Code
				}
				if d.Hold != c.hold || d.Offline != c.offline || code != c.code {
					t.Errorf("check %d: hold %v, offline %v, recorded %q; want hold %v, offline %v, recorded %q", i, d.Hold, d.Offline, code, c.hold, c.offline, c.code)
				}
				want := t0.Add(jitter("a", time.Hour))
				if c.retryIn > 0 {
					want = t0.Add(c.retryIn)
				}
				if got := p.NextDue(in, Cadence{Interval: time.Hour}); !got.Equal(want) {
					t.Errorf("check %d: next due in %v; want %v", i, got.Sub(t0), want.Sub(t0))
				}
			}
		})
	}
}

// Offline is the whole picture: every monitored integration (two or
// more) failing before reaching its service. One service down is that
// service's problem.
func TestOfflineFromEveryIntegration(t *testing.T) {
	for _, tt := range []struct {
		name     string
		verdicts map[string]Verdict // the last check of each integration
		forget   string
		want     bool
	}{
		{"one integration unreachable", map[string]Verdict{"a": refused}, "", false},
		{"one of two unreachable", map[string]Verdict{"a": refused, "b": fine}, "", false},
		{"one of two down at the provider", map[string]Verdict{"a": refused, "b": outage}, "", false},
		{"every one unreachable", map[string]Verdict{"a": refused, "b": refused, "c": refused}, "", true},
		{"the reachable one removed", map[string]Verdict{"a": refused, "b": refused, "c": fine}, "c", true},
		{"all but one removed", map[string]Verdict{"a": refused, "b": refused}, "b", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPolicy(PolicyConfig{Online: func() bool { return true }})
			for id, v := range tt.verdicts {
				p.Observe(integration.Integration{ID: id, Status: integration.StatusConnected}, v, false, t0)
			}
			if tt.forget != "" {
				p.Forget(tt.forget)
				// Offline is decided again at the next check.
				p.Observe(integration.Integration{ID: "a", Status: integration.StatusConnected}, tt.verdicts["a"], false, t0)
			}
			if got := p.Offline(); got != tt.want {
				t.Errorf("Offline() = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestNextDue(t *testing.T) {
	never := integration.Integration{ID: "a"}
	checked := integration.Integration{ID: "a", LastChecked: t0}
	oauth := func(expiresIn time.Duration) integration.Integration {
		in := integration.Integration{ID: "a", Kind: integration.KindOAuth2, LastChecked: t0}
		in.Expiry.AccessExpiresAt = t0.Add(expiresIn)
		return in
	}
	hour := Cadence{Interval: time.Hour, RefreshMargin: 10 * time.Minute}
	for _, tt := range []struct {
		name  string
		in    integration.Integration
		c     Cadence
		fail  bool // a transient failure was just seen
		reset bool // then the user repaired it
		want  time.Time
	}{
		{"never checked: now", never, hour, false, false, time.Time{}},
		{"checked: at the jittered interval", checked, hour, false, false, t0.Add(jitter("a", time.Hour))},
		{"failed: the quick re-check", checked, hour, true, false, t0.Add(quickRetry)},
		{"failed, then repaired: at the interval", checked, hour, true, true, t0.Add(jitter("a", time.Hour))},
		{"the provider's minimum interval bounds the re-check", checked, Cadence{Interval: time.Hour, MinInterval: time.Minute}, true, false, t0.Add(time.Minute)},
		{"the provider's minimum interval bounds the interval", checked, Cadence{Interval: time.Second, MinInterval: time.Minute}, false, false, t0.Add(time.Minute)},
		{"a token expiring refreshes ahead by the margin", oauth(30 * time.Minute), hour, false, false, t0.Add(20 * time.Minute)},
		{"a larger margin refreshes earlier", oauth(30 * time.Minute), Cadence{Interval: time.Hour, RefreshMargin: 25 * time.Minute}, false, false, t0.Add(5 * time.Minute)},
		{"a token outliving the interval waits for it", oauth(2 * time.Hour), hour, false, false, t0.Add(jitter("a", time.Hour))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPolicy(PolicyConfig{Online: func() bool { return true }})
			if tt.fail {
				p.Observe(tt.in, outage, true, t0)
			}
			if tt.reset {
				p.Reset(tt.in.ID)
			}
			if got := p.NextDue(tt.in, tt.c); !got.Equal(tt.want) {
				t.Errorf("NextDue = %v; want %v", got, tt.want)
			}
		})
	}
}

// Jitter spreads checks by up to ±10% of the interval and keeps each
// integration's schedule where it was.
func TestJitter(t *testing.T) {
	const interval = 15 * time.Minute
	seen := map[time.Duration]bool{}
	for _, id := range []string{"a", "b", "stripe-1", "github-2", "postgres-3", "int-10"} {
		got := jitter(id, interval)
		if got < interval*9/10 || got > interval*11/10 {
			t.Errorf("jitter(%q, %v) = %v; want within ±10%%", id, interval, got)
		}
		if again := jitter(id, interval); again != got {
			t.Errorf("jitter(%q) = %v, then %v; want the same each time", id, got, again)
		}
		seen[got] = true
	}
	if len(seen) < 2 {
		t.Errorf("six integrations all due after %v; want them spread", interval)
	}
	if got := jitter("a", 4); got != 4 {
		t.Errorf("jitter of a 4 ns interval = %v; want it unchanged", got)
	}
}

// The scheduler checks several integrations at once: the policy is used
// from their goroutines (run with -race).
func TestPolicyConcurrentChecks(t *testing.T) {
	p := NewPolicy(PolicyConfig{Online: func() bool { return true }})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := integration.Integration{ID: fmt.Sprint("int-", i), Status: integration.StatusConnected, LastChecked: t0}
			p.Observe(in, refused, false, t0)
			p.NextDue(in, Cadence{Interval: time.Hour})
			p.Offline()
		}()
	}
	wg.Wait()
	if !p.Offline() {
		t.Errorf("Offline() = false after all 8 concurrent checks failed to connect; want true")
	}
}
