package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"relink/backend/integration"
	"relink/backend/notify"
	"relink/backend/store"
)

// Outbox is the persistent queue the Dispatcher drains; *store.Store
// satisfies it.
type Outbox interface {
	EnqueueAlert(ctx context.Context, event string, at time.Time) error
	NextAlerts(ctx context.Context) ([]store.OutboxItem, error)
	AlertDestinations(ctx context.Context) ([]store.AlertDestination, error)
	AlertDelivered(ctx context.Context, it store.OutboxItem, status int, at time.Time, evs ...integration.Event) error
	AlertFailed(ctx context.Context, it store.OutboxItem, status int, reason string, at, next time.Time, evs ...integration.Event) error
}

// SecretReader reads a destination's webhook URL from the keychain.
type SecretReader interface {
	Get(ctx context.Context, id, slot string) (string, error)
}

// Secret names: the keychain item of destination id is secretID(id)/SecretSlot.
const SecretSlot = "webhook_url"

func secretID(destID string) string { return "alert-" + destID }

// Retry policy: the first retry after RetryBase, doubling up to RetryMax,
// for as long as Relink runs (the outbox keeps the message across
// restarts); a failing destination never blocks checks or the others.
const (
	RetryBase   = 5 * time.Second
	RetryMax    = 10 * time.Minute
	sendTimeout = 15 * time.Second
	// idle is how long the loop sleeps with nothing queued; Deliver wakes it.
	idle = time.Hour
)

// Backoff is the wait before attempt n+1 after n failed attempts.
func Backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Dispatcher queues events and delivers them. It is the notify.Sink of
// the team-alert Notifier.
type Dispatcher struct {
	Outbox  Outbox
	Secrets SecretReader
	Client  *http.Client
	Tr      Translator
	// ProviderName maps a provider id to its display name.
	ProviderName func(id string) string
	Now          func() time.Time
	Log          *slog.Logger
	// RetryBase and RetryMax override the retry policy (tests).
	RetryBase, RetryMax time.Duration

	once sync.Once
	wake chan struct{}
}

func (d *Dispatcher) init() {
	d.once.Do(func() {
		d.wake = make(chan struct{}, 1)
		if d.Now == nil {
			d.Now = time.Now
		}
		if d.Log == nil {
			d.Log = slog.New(slog.DiscardHandler)
		}
		if d.RetryBase <= 0 {
			d.RetryBase = RetryBase
		}
		if d.RetryMax <= 0 {
			d.RetryMax = RetryMax
		}
		if d.ProviderName == nil {
			d.ProviderName = func(id string) string { return id }
		}
	})
}

// Deliver queues a window's news, one event per kind, for every
// destination, and wakes the delivery loop.
func (d *Dispatcher) Deliver(ctx context.Context, items []notify.Item) error {
	d.init()
	now := d.Now()
	for _, ev := range Events(items, now, d.ProviderName) {
		if err := d.Enqueue(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// Enqueue queues one event for every destination.
func (d *Dispatcher) Enqueue(ctx context.Context, ev Event) error {
	d.init()
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("queue alert: %w", err)
	}
	if err := d.Outbox.EnqueueAlert(ctx, string(b), d.Now()); err != nil {
		return fmt.Errorf("queue alert: %w", err)
	}
	d.Wake()
	return nil
}

// Wake makes the loop look at the outbox now (a new message, a new or
// repaired destination).
func (d *Dispatcher) Wake() {
	d.init()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	d.init()
	for {
		wait := d.Drain(ctx)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-d.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Drain sends every message that is due, oldest first per destination,
// and returns how long until the next one is.
func (d *Dispatcher) Drain(ctx context.Context) time.Duration {
	d.init()
	for {
		items, err := d.Outbox.NextAlerts(ctx)
		if err != nil {
			d.Log.Warn("read alert outbox", "error", err)
			return d.RetryBase
		}
		dests, err := d.Outbox.AlertDestinations(ctx)
		if err != nil {
			d.Log.Warn("read alert destinations", "error", err)
			return d.RetryBase
		}
		byID := map[string]store.AlertDestination{}
		for _, dst := range dests {
			byID[dst.ID] = dst
		}
		wait, sent := idle, false
		for _, it := range items {
			now := d.Now()
			if due := it.NextAttemptAt.Sub(now); due > 0 {
				wait = min(wait, due)
				continue
			}
			dst, ok := byID[it.DestinationID]
			if !ok {
				continue
			}
			if d.attempt(ctx, dst, it) {
				sent = true
			} else {
				wait = min(wait, Backoff(it.Attempts+1, d.RetryBase, d.RetryMax))
			}
		}
		// A delivered message may have a next one waiting behind it.
		if !sent || ctx.Err() != nil {
			return wait
		}
	}
}

// attempt sends one message and records the outcome; it reports success.
func (d *Dispatcher) attempt(ctx context.Context, dst store.AlertDestination, it store.OutboxItem) bool {
	status, reason := d.send(ctx, dst, it.Event)
	now := d.Now()
	if reason == "" {
		var evs []integration.Event
		if !dst.FailingSince.IsZero() {
			evs = append(evs, historyEvent(dst, now, "alert.delivering_again", nil))
		}
		if err := d.Outbox.AlertDelivered(ctx, it, status, now, evs...); err != nil {
			d.Log.Warn("record alert delivery", "destination", dst.Label, "error", err)
			return false
		}
		return true
	}
	var evs []integration.Event
	if dst.FailingSince.IsZero() {
		evs = append(evs, historyEvent(dst, now, "alert.failing", map[string]string{"reason": reason}))
	}
	next := now.Add(Backoff(it.Attempts+1, d.RetryBase, d.RetryMax))
	if err := d.Outbox.AlertFailed(ctx, it, status, reason, now, next, evs...); err != nil {
		d.Log.Warn("record alert failure", "destination", dst.Label, "error", err)
	}
	return false
}

func historyEvent(dst store.AlertDestination, at time.Time, code string, params map[string]string) integration.Event {
	p := map[string]string{"destination": dst.Label}
	for k, v := range params {
		p[k] = v
	}
	return integration.Event{Time: at, Integration: dst.Label, Kind: integration.EventAlert, Message: code, Params: p}
}

// send posts one event in the destination's format. reason is empty on
// success, else a short language-neutral description that never holds
// the URL.
func (d *Dispatcher) send(ctx context.Context, dst store.AlertDestination, raw string) (status int, reason string) {
	var ev Event
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		return 0, "unreadable queued message"
	}
	u, err := d.Secrets.Get(ctx, secretID(dst.ID), SecretSlot)
	if err != nil {
		return 0, "keychain: " + problemCode(err)
	}
	res, err := Post(ctx, d.Client, Format(dst.Format), u, ev, d.Tr)
	return res.Status, res.Reason(err)
}

// Result is a receiver's answer to one post.
type Result struct {
	Status int    `json:"status"`
	Body   string `json:"body,omitempty"`
}

// Reason describes a failed post (err from Post) without the URL; "" on
// success.
func (r Result) Reason(err error) string {
	switch {
	case err != nil:
		return err.Error()
	case r.Status < 200 || r.Status > 299:
		s := "HTTP " + strconv.Itoa(r.Status)
		if r.Body != "" {
			s += ": " + r.Body
		}
		return s
	}
	return ""
}

// maxAnswer is how much of a receiver's answer is kept: Slack and Teams
// answer with a word or a sentence ("no_service", "invalid_payload").
const maxAnswer = 200

// Post sends ev to rawURL in format f and returns the receiver's answer.
// Errors never include the URL: it is a secret.
func Post(ctx context.Context, client *http.Client, f Format, rawURL string, ev Event, tr Translator) (Result, error) {
	body, err := Render(f, ev, tr)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return Result{}, errors.New("the webhook URL is not valid")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Relink")
	res, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Result{}, errors.New(redact(err.Error(), rawURL))
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	return Result{Status: res.StatusCode, Body: strings.TrimSpace(redact(string(b), rawURL))}, nil
}

// redact removes the URL and its host-less parts from s, in case a
// receiver or a transport error echoes them.
func redact(s, rawURL string) string {
	if rawURL == "" {
		return s
	}
	s = strings.ReplaceAll(s, rawURL, "[webhook URL]")
	if u, err := url.Parse(rawURL); err == nil && len(u.Path) > 1 {
		s = strings.ReplaceAll(s, u.Path, "[path]")
	}
	return s
}

func problemCode(err error) string {
	if p := integration.AsProblem(err); p != nil {
		return p.Code
	}
	return "unavailable"
}
