// Package notify turns integration status changes into desktop
// notifications: one when an integration breaks, one when it recovers,
// with bursts coalesced so a network outage does not produce a stack of
// bubbles.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"relink/backend/integration"
)

// Notification is one desktop notification. Target is the integration a
// click opens for repair; empty just opens the window. Action labels the click
// where the daemon shows it.
type Notification struct {
	Title  string
	Body   string
	Target string
	Action string
}

// ErrUnavailable means the desktop has no notification service; the error
// also carries the Problem error.notifications_unavailable.
var ErrUnavailable = errors.New("desktop notifications unavailable")

func unavailable(err error) error {
	return integration.NewError(ErrUnavailable, err, "error.notifications_unavailable")
}

// Sender shows a notification on the desktop.
type Sender interface {
	Send(ctx context.Context, n Notification) error
}

// Translator renders message keys in the user's language; Plural picks the
// key's ".one" or ".other" form and sets {count}. backend/i18n.Translator
// satisfies it.
type Translator interface {
	T(key string, params map[string]string) string
	Plural(key string, n int, params map[string]string) string
}

// Clock schedules the end of a coalescing window; tests drive a fake one.
type Clock interface {
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// SystemClock is the real clock.
type SystemClock struct{}

// AfterFunc runs f after d.
func (SystemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// DefaultWindow is how long changes are collected before one notification
// reports them all.
const DefaultWindow = time.Minute

// maxNames caps the names listed in one notification body; notification
// daemons cut long bodies anyway.
const maxNames = 10

// sendTimeout bounds one Send: a hung notification daemon must not hold
// back the next window.
const sendTimeout = 10 * time.Second

// Config configures a Notifier. Either Sink, or Sender and Translator
// (desktop notifications), are required.
type Config struct {
	Sender     Sender
	Translator Translator
	// Sink receives each window's changes instead of the desktop; team
	// alerts use it to share the desktop's coalescing.
	Sink    Sink
	Clock   Clock         // default SystemClock
	Window  time.Duration // default DefaultWindow
	Logger  *slog.Logger  // default discards
	Enabled bool          // the user's setting at startup
}

// Change says what kind of news one integration's settled status is.
type Change string

const (
	Broke     Change = "broken"
	Recovered Change = "recovered"
	// Expiring is a healthy integration whose authorization ends soon;
	// the desktop does not announce it (the tray shows it), team alerts do.
	Expiring Change = "expiring"
)

// Item is one integration's news in a window: its state after the change
// and the settled (effective) statuses it went between.
type Item struct {
	Change      Change
	Integration integration.Integration
	From, To    integration.Status
	At          time.Time
}

// Sink receives the changes of one coalescing window, in the order seen.
type Sink interface {
	Deliver(ctx context.Context, items []Item) error
}

// Notifier watches status changes and sends coalesced notifications.
type Notifier struct {
	sink   Sink
	clock  Clock
	window time.Duration
	log    *slog.Logger

	mu      sync.Mutex
	enabled bool
	// last is each integration's last settled status; checking is not
	// settled, so connected→checking→error still counts as a break.
	last    map[string]integration.Status
	pending []Item
	stop    func() bool
	gen     int // bumped when a window is abandoned so a late timer is ignored
	failing bool
}

// New returns a Notifier.
func New(cfg Config) *Notifier {
	n := &Notifier{
		sink:    cfg.Sink,
		clock:   cfg.Clock,
		window:  cfg.Window,
		log:     cfg.Logger,
		enabled: cfg.Enabled,
		last:    map[string]integration.Status{},
	}
	if n.sink == nil {
		n.sink = desktop{sender: cfg.Sender, tr: cfg.Translator}
	}
	if n.clock == nil {
		n.clock = SystemClock{}
	}
	if n.window <= 0 {
		n.window = DefaultWindow
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	return n
}

func isBroken(s integration.Status) bool {
	switch s {
	case integration.StatusNeedsReauth, integration.StatusError, integration.StatusDegraded:
		return true
	}
	// An unknown status counts as broken so it is never hidden; an empty
	// one means "not known yet".
	return s != "" && !s.Valid()
}

func isHealthy(s integration.Status) bool {
	return s == integration.StatusConnected || s == integration.StatusExpiring
}

// Observe records that integration it (in its new state) moved from one
// status to another. The first time an id is seen, from is taken as its
// previous state; after that the Notifier's own memory wins, so an
// intermediate "checking" in between does not hide a break.
func (n *Notifier) Observe(it integration.Integration, from, to integration.Status, at time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	id := it.ID
	prev, known := n.last[id]
	if !known {
		prev = from
	}
	if to == integration.StatusChecking {
		if !known && prev != "" && prev != integration.StatusChecking {
			n.last[id] = prev
		}
		return
	}
	n.last[id] = to
	item := Item{Integration: it, From: prev, To: to, At: at}
	switch {
	case isHealthy(prev) && isBroken(to):
		item.Change = Broke
		n.add(item)
	case isBroken(prev) && isHealthy(to):
		item.Change = Recovered
		n.add(item)
	case prev == integration.StatusConnected && to == integration.StatusExpiring:
		item.Change = Expiring
		n.add(item)
	case isBroken(to):
		// Still broken: keep the newest state for the message.
		for i := range n.pending {
			if n.pending[i].Integration.ID == id {
				n.pending[i].Integration, n.pending[i].To, n.pending[i].At = it, to, at
			}
		}
	}
}

// Forget drops what is known about a removed integration.
func (n *Notifier) Forget(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.last, id)
	n.pending = removeID(n.pending, id)
}

// SetEnabled applies the user's setting. Turning notifications off drops
// what was waiting to be sent; statuses are still followed so turning
// them back on does not announce old news.
func (n *Notifier) SetEnabled(on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.enabled = on
	if !on {
		n.abandon()
	}
}

// Close stops the pending window without sending it.
func (n *Notifier) Close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.abandon()
}

func (n *Notifier) abandon() {
	if n.stop != nil {
		n.stop()
		n.stop = nil
	}
	n.pending = nil
	n.gen++
}

func removeID(ps []Item, id string) []Item {
	out := ps[:0]
	for _, p := range ps {
		if p.Integration.ID != id {
			out = append(out, p)
		}
	}
	return out
}

// add queues a change and opens a window if none is open. Must be called
// with n.mu held.
func (n *Notifier) add(p Item) {
	if !n.enabled {
		return
	}
	for i, q := range n.pending {
		if q.Integration.ID != p.Integration.ID {
			continue
		}
		switch {
		case q.Change == Expiring:
			// Newer news about the same integration supersedes "expiring".
			n.pending[i] = p
			return
		case p.Change != Expiring && q.Change != p.Change:
			// A change that undoes one not yet announced cancels it: the
			// user never heard of the break, so there is no recovery to tell.
			n.pending = append(n.pending[:i], n.pending[i+1:]...)
			return
		}
	}
	n.pending = append(n.pending, p)
	if n.stop == nil {
		gen := n.gen
		n.stop = n.clock.AfterFunc(n.window, func() { n.flush(gen) })
	}
}

func (n *Notifier) flush(gen int) {
	n.mu.Lock()
	if gen != n.gen {
		n.mu.Unlock()
		return
	}
	batch := n.pending
	n.pending, n.stop = nil, nil
	n.gen++
	n.mu.Unlock()
	n.send(batch)
}

// send logs the first failure of a run of failures only: where no
// notification service exists every window would fail the same way.
func (n *Notifier) send(batch []Item) {
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	err := n.sink.Deliver(ctx, batch)
	n.mu.Lock()
	first := err != nil && !n.failing
	n.failing = err != nil
	n.mu.Unlock()
	if first {
		n.log.Warn("notifications unavailable; carrying on without them", "error", err)
	}
}
