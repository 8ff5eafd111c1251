// Package notify turns integration status changes into desktop
// notifications: one when an integration breaks, one when it recovers,
// with bursts coalesced so a network outage does not produce a stack of
// bubbles.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"strings"
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

// Config configures a Notifier. Sender and Translator are required.
type Config struct {
	Sender     Sender
	Translator Translator
	Clock      Clock         // default SystemClock
	Window     time.Duration // default DefaultWindow
	Logger     *slog.Logger  // default discards
	Enabled    bool          // the user's setting at startup
}

type change int

const (
	broke change = iota + 1
	recovered
)

type pending struct {
	id, name string
	change   change
	status   integration.Status
}

// Notifier watches status changes and sends coalesced notifications.
type Notifier struct {
	sender Sender
	tr     Translator
	clock  Clock
	window time.Duration
	log    *slog.Logger

	mu      sync.Mutex
	enabled bool
	// last is each integration's last settled status; checking is not
	// settled, so connected→checking→error still counts as a break.
	last    map[string]integration.Status
	pending []pending
	stop    func() bool
	gen     int // bumped when a window is abandoned so a late timer is ignored
	failing bool
}

// New returns a Notifier.
func New(cfg Config) *Notifier {
	n := &Notifier{
		sender:  cfg.Sender,
		tr:      cfg.Translator,
		clock:   cfg.Clock,
		window:  cfg.Window,
		log:     cfg.Logger,
		enabled: cfg.Enabled,
		last:    map[string]integration.Status{},
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

// Observe records that integration id (shown as name) moved from one
// status to another. The first time an id is seen, from is taken as its
// previous state; after that the Notifier's own memory wins, so an
// intermediate "checking" in between does not hide a break.
func (n *Notifier) Observe(id, name string, from, to integration.Status) {
	n.mu.Lock()
	defer n.mu.Unlock()
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
	switch {
	case isHealthy(prev) && isBroken(to):
		n.add(pending{id: id, name: name, change: broke, status: to})
	case isBroken(prev) && isHealthy(to):
		n.add(pending{id: id, name: name, change: recovered, status: to})
	case isBroken(to):
		// Still broken: keep the newest status for the message.
		for i := range n.pending {
			if n.pending[i].id == id {
				n.pending[i].status = to
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

func removeID(ps []pending, id string) []pending {
	out := ps[:0]
	for _, p := range ps {
		if p.id != id {
			out = append(out, p)
		}
	}
	return out
}

// add queues a change and opens a window if none is open. Must be called
// with n.mu held.
func (n *Notifier) add(p pending) {
	if !n.enabled {
		return
	}
	// A change that undoes one not yet announced cancels it: the user
	// never heard of the break, so there is no recovery to tell.
	for i, q := range n.pending {
		if q.id == p.id {
			if q.change != p.change {
				n.pending = append(n.pending[:i], n.pending[i+1:]...)
			}
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

	var breaks, recoveries []pending
	for _, p := range batch {
		if p.change == broke {
			breaks = append(breaks, p)
		} else {
			recoveries = append(recoveries, p)
		}
	}
	if len(breaks) > 0 {
		n.send(n.brokenNotification(breaks))
	}
	if len(recoveries) > 0 {
		n.send(n.recoveredNotification(recoveries))
	}
}

func (n *Notifier) brokenNotification(ps []pending) Notification {
	if len(ps) == 1 {
		p := ps[0]
		body := "notify.body.error"
		switch p.status {
		case integration.StatusNeedsReauth:
			body = "notify.body.needs_reauth"
		case integration.StatusDegraded:
			body = "notify.body.degraded"
		}
		return Notification{
			Title:  n.tr.T("notify.broken.title", map[string]string{"name": p.name}),
			Body:   n.tr.T(body, nil),
			Target: p.id,
			Action: n.tr.T("notify.action.fix", nil),
		}
	}
	return Notification{
		Title:  n.tr.Plural("notify.broken_many.title", len(ps), nil),
		Body:   n.names(ps),
		Action: n.tr.T("notify.action.open", nil),
	}
}

func (n *Notifier) recoveredNotification(ps []pending) Notification {
	if len(ps) == 1 {
		return Notification{
			Title:  n.tr.T("notify.recovered.title", map[string]string{"name": ps[0].name}),
			Body:   n.tr.T("notify.body.recovered", nil),
			Action: n.tr.T("notify.action.open", nil),
		}
	}
	return Notification{
		Title:  n.tr.Plural("notify.recovered_many.title", len(ps), nil),
		Body:   n.names(ps),
		Action: n.tr.T("notify.action.open", nil),
	}
}

// names lists up to maxNames names, then how many more.
func (n *Notifier) names(ps []pending) string {
	var names []string
	for i, p := range ps {
		if i == maxNames {
			break
		}
		names = append(names, p.name)
	}
	list := strings.Join(names, ", ")
	if len(ps) > maxNames {
		list += " " + n.tr.Plural("notify.more", len(ps)-maxNames, nil)
	}
	return list
}

// send logs the first failure of a run of failures only: where no
// notification service exists every window would fail the same way.
func (n *Notifier) send(msg Notification) {
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	err := n.sender.Send(ctx, msg)
	n.mu.Lock()
	first := err != nil && !n.failing
	n.failing = err != nil
	n.mu.Unlock()
	if first {
		n.log.Warn("desktop notifications unavailable; carrying on without them", "error", err)
	}
}
