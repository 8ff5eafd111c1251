package health

import (
	"context"
	"hash/fnv"
	"net"
	"sync"
	"time"

	"relink/backend/integration"
)

// ConfirmAfter is how many consecutive transient failures a background
// check needs before a healthy integration is shown broken.
const ConfirmAfter = 2

const (
	quickRetry = 30 * time.Second // first re-check; doubles per failure
	maxBackoff = 15 * time.Minute
)

// recheckDelays are the waits before re-probing a transient failure seen
// by an explicit check: short and bounded, so the person waiting gets an
// answer within seconds and a blip does not show as an outage.
var recheckDelays = []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond}

// Policy decides what a background check's outcome means over time: a
// transient failure after a healthy state is confirmed before it is shown,
// failures are re-checked with backoff, "offline" is read from every
// integration's last outcome, and it says when each integration is due.
// It keeps that memory for one process; the stored integration carries
// the rest (Unconfirmed).
type Policy struct {
	online func() bool
	sleep  func(ctx context.Context, d time.Duration) error

	mu       sync.Mutex
	failures map[string]int       // consecutive transient failures
	netFail  map[string]bool      // last probe failed before reaching the service
	retryAt  map[string]time.Time // quick re-checks before crying wolf
	offline  bool
}

// PolicyConfig holds a Policy's dependencies; nil ones get the real thing.
type PolicyConfig struct {
	// Online reports whether the machine has a usable network (default:
	// its network interfaces).
	Online func() bool
	// Sleep waits between an explicit check's quick re-probes (default: a
	// timer); tests pass one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewPolicy builds a Policy.
func NewPolicy(cfg PolicyConfig) *Policy {
	p := &Policy{online: cfg.Online, sleep: cfg.Sleep, failures: map[string]int{}, netFail: map[string]bool{}, retryAt: map[string]time.Time{}}
	if p.online == nil {
		p.online = machineOnline
	}
	if p.sleep == nil {
		p.sleep = sleepCtx
	}
	return p
}

// Recheck runs probe and, while it fails transiently, again after each
// of recheckDelays, and returns the last verdict: what was seen. It is for
// a person waiting for an answer (an explicit check of a healthy
// integration, a credential just entered); background checks are
// confirmed by Observe instead. A provider that asks for time between
// calls (minInterval) is probed once.
func (p *Policy) Recheck(ctx context.Context, minInterval time.Duration, probe func() Verdict) Verdict {
	v := probe()
	if minInterval > 0 {
		return v
	}
	for _, d := range recheckDelays {
		if !Transient(v) || p.sleep(ctx, d) != nil {
			break
		}
		v = probe()
	}
	return v
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Decision is what the policy makes of one check's verdict.
type Decision struct {
	// Verdict is what to record: the probe's, or "offline" when the
	// machine, not the provider, is the problem.
	Verdict Verdict
	// Hold keeps the integration's last known state: the machine is
	// offline, or the failure is not confirmed yet.
	Hold bool
	// Offline is whether Relink considers the machine offline.
	Offline bool
}

// Observe records the verdict of a check of in (as stored before the
// check) at now and decides what it means. An explicit check (the user
// asked) is never held: it records what it saw.
func (p *Policy) Observe(in integration.Integration, v Verdict, explicit bool, now time.Time) Decision {
	online := p.online()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.netFail[in.ID] = NetworkFailure(v)
	p.updateOffline(online)
	d := Decision{Verdict: v, Offline: p.offline}
	if d.Offline && NetworkFailure(v) {
		// Offline, not the provider: say so in what is recorded.
		d.Verdict = Verdict{Status: integration.StatusError, Cause: integration.CauseLocalProblem, Problem: integration.NewProblem("problem.offline")}
	}
	if !Transient(d.Verdict) {
		p.failures[in.ID] = 0
		delete(p.retryAt, in.ID)
		return d
	}
	if in.Unconfirmed != nil {
		// Another process may have seen the first failure.
		p.failures[in.ID] = max(p.failures[in.ID], ConfirmAfter-1)
	}
	p.failures[in.ID]++
	p.retryAt[in.ID] = now.Add(backoff(p.failures[in.ID]))
	d.Hold = !explicit && (d.Offline || (Healthy(in.Status) && p.failures[in.ID] < ConfirmAfter))
	return d
}

// updateOffline decides "offline" from the whole picture: no usable
// network interface, or every monitored integration (two or more) failing
// before reaching its service. One service down is that service's
// problem. netFail holds the last outcome of each monitored integration,
// so no query runs per check. The caller holds mu.
func (p *Policy) updateOffline(online bool) {
	failing := 0
	for _, f := range p.netFail {
		if f {
			failing++
		}
	}
	p.offline = !online || (len(p.netFail) >= 2 && failing == len(p.netFail))
}

// Offline reports whether Relink considers the machine offline.
func (p *Policy) Offline() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.offline
}

// Reset forgets an integration's failures and pending re-check: the user
// just repaired it (reauthorized, accepted a host key).
func (p *Policy) Reset(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures[id] = 0
	delete(p.retryAt, id)
}

// Forget drops an integration from the policy, the offline picture
// included (removed or paused).
func (p *Policy) Forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.netFail, id)
	delete(p.failures, id)
	delete(p.retryAt, id)
}

// Cadence is how often an integration is checked.
type Cadence struct {
	// Interval is the check interval setting.
	Interval time.Duration
	// MinInterval is the provider's minimum time between calls; it bounds
	// quick re-checks too.
	MinInterval time.Duration
	// RefreshMargin is how long before an access token's expiry it is
	// refreshed (the "Refresh tokens this early" setting).
	RefreshMargin time.Duration
}

// NextDue is when in should be checked again; zero means now.
func (p *Policy) NextDue(in integration.Integration, c Cadence) time.Time {
	p.mu.Lock()
	r, retry := p.retryAt[in.ID]
	p.mu.Unlock()
	earliest := in.LastChecked.Add(c.MinInterval)
	if retry {
		return later(r, earliest)
	}
	if in.LastChecked.IsZero() {
		return time.Time{}
	}
	next := later(in.LastChecked.Add(jitter(in.ID, c.Interval)), earliest)
	// Refresh ahead of expiry even between checks.
	if in.Kind == integration.KindOAuth2 && !in.Expiry.AccessExpiresAt.IsZero() {
		if early := in.Expiry.AccessExpiresAt.Add(-c.RefreshMargin); early.Before(next) {
			next = early
		}
	}
	return next
}

// Transient reports a failure that may pass by itself (the provider or
// this computer): it is confirmed before a healthy integration is shown
// as broken.
func Transient(v Verdict) bool {
	return v.Status == integration.StatusError && (v.Cause == integration.CauseProviderIssue || v.Cause == integration.CauseLocalProblem)
}

// Healthy reports a state that claims the integration works.
func Healthy(st integration.Status) bool {
	return st == integration.StatusConnected || st == integration.StatusDegraded
}

// backoff is the wait before re-checking after n consecutive transient
// failures: 30 s, 1 min, 2 min… capped.
func backoff(n int) time.Duration {
	d := quickRetry
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// machineOnline reports whether any non-loopback interface is up with an
// address.
func machineOnline() bool {
	ifs, err := net.Interfaces()
	if err != nil {
		return true
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		if addrs, err := i.Addrs(); err == nil && len(addrs) > 0 {
			return true
		}
	}
	return false
}

// jitter spreads each integration's checks by up to ±10% of the interval,
// stable per integration so its schedule does not drift.
func jitter(id string, interval time.Duration) time.Duration {
	h := fnv.New32a()
	h.Write([]byte(id))
	span := int64(interval) / 5
	if span == 0 {
		return interval
	}
	return interval - time.Duration(span/2) + time.Duration(int64(h.Sum32())%span)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
