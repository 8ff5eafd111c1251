package alerts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"relink/backend/integration"
	"relink/backend/store"
)

// Destinations is the metadata half of the destinations; *store.Store
// satisfies it.
type Destinations interface {
	CreateAlertDestination(ctx context.Context, d store.AlertDestination) error
	AlertDestinations(ctx context.Context) ([]store.AlertDestination, error)
	DeleteAlertDestination(ctx context.Context, id string) error
}

// SecretStore keeps webhook URLs; backend/secrets.Keychain satisfies it.
type SecretStore interface {
	SecretReader
	Set(ctx context.Context, id, slot, value string) error
	DeleteAll(ctx context.Context, id string) error
}

// Manager adds, lists, tests and removes destinations.
type Manager struct {
	Store   Destinations
	Secrets SecretStore
	Client  *http.Client
	Tr      Translator
	// Wake is called after a destination is added (the Dispatcher's Wake).
	Wake func()
	Now  func() time.Time
}

// ErrNotFound means no destination has that id or label.
var ErrNotFound = errors.New("alert destination not found")

// maxLabel bounds a destination's label (it is shown in Settings and
// history).
const maxLabel = 64

// Add validates and saves a destination: the URL to the keychain first,
// then the row, so a failure leaves neither.
func (m *Manager) Add(ctx context.Context, label string, f Format, rawURL string) (store.AlertDestination, error) {
	label = strings.TrimSpace(label)
	switch {
	case label == "":
		return store.AlertDestination{}, invalid("error.alert_label_required")
	case utf8.RuneCountInString(label) > maxLabel:
		return store.AlertDestination{}, invalid("error.name_too_long", "max", fmt.Sprint(maxLabel))
	case !f.Valid():
		return store.AlertDestination{}, invalid("error.alert_format", "format", string(f))
	}
	if err := ValidateURL(rawURL); err != nil {
		return store.AlertDestination{}, err
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	d := store.AlertDestination{ID: newID(), Label: label, Format: string(f), CreatedAt: now().UTC()}
	if err := m.Secrets.Set(ctx, secretID(d.ID), SecretSlot, strings.TrimSpace(rawURL)); err != nil {
		return store.AlertDestination{}, fmt.Errorf("save webhook URL for %s: %w", label, err)
	}
	if err := m.Store.CreateAlertDestination(ctx, d); err != nil {
		_ = m.Secrets.DeleteAll(ctx, secretID(d.ID))
		return store.AlertDestination{}, err
	}
	if m.Wake != nil {
		m.Wake()
	}
	return d, nil
}

// ValidateURL accepts an absolute https URL without user info; plain
// http only to this machine (a local relay or a test receiver), since
// the URL and the messages would otherwise cross the network in clear.
func ValidateURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return invalid("error.alert_url")
	}
	if u.User != nil {
		return invalid("error.field_invalid.userinfo", "field", "URL")
	}
	if u.Scheme == "http" {
		ip := net.ParseIP(u.Hostname())
		if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return invalid("error.alert_url_https")
		}
	}
	return nil
}

// List returns the destinations with their delivery state.
func (m *Manager) List(ctx context.Context) ([]store.AlertDestination, error) {
	return m.Store.AlertDestinations(ctx)
}

// Find resolves an id or a label (case-insensitive).
func (m *Manager) Find(ctx context.Context, ref string) (store.AlertDestination, error) {
	ds, err := m.List(ctx)
	if err != nil {
		return store.AlertDestination{}, err
	}
	for _, d := range ds {
		if d.ID == ref || strings.EqualFold(d.Label, ref) {
			return d, nil
		}
	}
	return store.AlertDestination{}, integration.NewError(ErrNotFound, nil, "error.alert_not_found", "ref", ref)
}

// Remove deletes a destination, what waits for it, and its URL.
func (m *Manager) Remove(ctx context.Context, ref string) (store.AlertDestination, error) {
	d, err := m.Find(ctx, ref)
	if err != nil {
		return d, err
	}
	if err := m.Store.DeleteAlertDestination(ctx, d.ID); err != nil {
		return d, err
	}
	if err := m.Secrets.DeleteAll(ctx, secretID(d.ID)); err != nil {
		return d, fmt.Errorf("delete webhook URL of %s: %w", d.Label, err)
	}
	return d, nil
}

// Test sends a sample message to one destination now, outside the
// outbox, and returns the receiver's answer.
func (m *Manager) Test(ctx context.Context, ref string) (store.AlertDestination, Result, error) {
	d, err := m.Find(ctx, ref)
	if err != nil {
		return d, Result{}, err
	}
	u, err := m.Secrets.Get(ctx, secretID(d.ID), SecretSlot)
	if err != nil {
		return d, Result{}, err
	}
	now := time.Now().UTC()
	ev := Event{Schema: Schema, Kind: KindTest, Time: now, Integrations: []Integration{{
		ID: "sample", Name: m.Tr.T("alerts.sample.name", nil), Provider: "sample", ProviderName: "Relink",
		OldStatus: integration.StatusConnected, NewStatus: integration.StatusNeedsReauth,
		Cause: integration.CauseTokenExpired, Problem: integration.NewProblem("problem.token_expired"),
		Time: now, Link: Link("sample"),
	}}}
	res, err := Post(ctx, m.Client, Format(d.Format), u, ev, m.Tr)
	if err != nil {
		return d, res, integration.NewProblem("error.alert_send", "reason", err.Error())
	}
	return d, res, nil
}

// invalid is a refusal of the user's input (the CLI exits 2).
func invalid(code string, kv ...string) error {
	return integration.NewError(integration.ErrInvalid, nil, code, kv...)
}

func newID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
