// Package tokens manages OAuth credentials over time: it hands out a valid
// access token, refreshing ahead of expiry, with one refresh at a time per
// integration across goroutines and across processes (the window and the
// CLI share the keychain and the data dir).
package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"relink/backend/catalog"
	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/secrets"
)

// SecretStore is the keychain.
type SecretStore interface {
	Get(ctx context.Context, id, slot string) (string, error)
	Set(ctx context.Context, id, slot, value string) error
	Delete(ctx context.Context, id, slot string) error
}

// Refresher redeems a refresh token for one integration (the caller builds
// the provider configuration).
type Refresher interface {
	Refresh(ctx context.Context, id, refreshToken string) (*oauth.Token, error)
}

// Clock is the time source, the services' too; tests pass a fixed one.
type Clock interface{ Now() time.Time }

// Config holds the manager's dependencies.
type Config struct {
	Secrets    SecretStore
	Refresher  Refresher
	Clock      Clock
	LockDir    string        // the data dir; lock files go in LockDir/locks
	Margin     time.Duration // refresh this long before expiry (default 10 min)
	IsNotFound func(error) bool
	// OnRefresh is told about every refresh (history, status).
	OnRefresh func(id string, rotated bool, err error)
	// Read reads a refresh the token endpoint refused, with the
	// integration's provider dialect; nil reads it with the generic
	// classifier alone.
	Read func(id string, te *oauth.TokenError) health.Verdict
}

// Token is what scripts and probes get: the access token and its expiry.
type Token struct {
	AccessToken string
	Expiry      time.Time
	Scopes      []string
}

// String redacts the token.
func (t Token) String() string {
	return "tokens.Token{[redacted] expires " + t.Expiry.Format(time.RFC3339) + "}"
}

// ErrReauthRequired means the grant is gone: the user must authorize again.
var ErrReauthRequired = errors.New("reauthorization required")

// CodeNoRefreshToken is ReauthError's Code when there is no refresh token
// to use: the grant gave none or it was deleted.
const CodeNoRefreshToken = "no_refresh_token"

// ReauthError says why reauthorization is required.
type ReauthError struct {
	Cause integration.Cause
	Code  string // the provider's error code, e.g. invalid_grant
	// Problem is what the provider's answer said, when known.
	Problem *integration.Problem
}

func (e *ReauthError) Error() string        { return "reauthorization required: " + string(e.Cause) }
func (e *ReauthError) Is(target error) bool { return target == ErrReauthRequired }
func (e *ReauthError) As(target any) bool {
	if p, ok := target.(**integration.Problem); ok {
		*p = e.Problem
		if *p == nil {
			*p = integration.NewProblem("problem." + string(e.Cause))
		}
		return true
	}
	return false
}

// RefusedError is a refresh the provider refused for a reason new
// credentials do not fix (its client, an admin, a limit, an outage): the
// grant is kept and Verdict says what to do.
type RefusedError struct {
	Verdict health.Verdict
	Err     *oauth.TokenError
}

func (e *RefusedError) Error() string { return "refresh refused: " + e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// As gives history and the UI the problem the provider's answer meant.
func (e *RefusedError) As(target any) bool {
	if p, ok := target.(**integration.Problem); ok && e.Verdict.Problem != nil {
		*p = e.Verdict.Problem
		return true
	}
	return false
}

// Manager hands out access tokens.
type Manager struct {
	cfg   Config
	mu    sync.Mutex
	cache map[string]Token
	locks map[string]*sync.Mutex
}

// NewManager builds a manager.
func NewManager(cfg Config) *Manager {
	if cfg.Margin <= 0 {
		cfg.Margin = 10 * time.Minute
	}
	if cfg.IsNotFound == nil {
		cfg.IsNotFound = func(error) bool { return false }
	}
	return &Manager{cfg: cfg, cache: map[string]Token{}, locks: map[string]*sync.Mutex{}}
}

// SetMargin changes the refresh margin (a setting).
func (m *Manager) SetMargin(d time.Duration) {
	m.mu.Lock()
	if d > 0 {
		m.cfg.Margin = d
	}
	m.mu.Unlock()
}

// Margin is how long before expiry a token is refreshed.
func (m *Manager) Margin() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg.Margin
}

type storedAccess struct {
	AccessToken string    `json:"a"`
	Expiry      time.Time `json:"e"`
	Scopes      []string  `json:"s,omitempty"`
}

// Store saves a fresh grant: the refresh token first (the part that must
// not be lost), then the access token.
func (m *Manager) Store(ctx context.Context, id string, t *oauth.Token) error {
	if t.RefreshToken != "" {
		if err := m.cfg.Secrets.Set(ctx, id, secrets.SlotRefresh, t.RefreshToken); err != nil {
			return fmt.Errorf("store refresh token of %s: %w", id, err)
		}
	}
	return m.storeAccess(ctx, id, Token{AccessToken: t.AccessToken, Expiry: t.Expiry, Scopes: t.Scopes})
}

func (m *Manager) storeAccess(ctx context.Context, id string, t Token) error {
	m.mu.Lock()
	m.cache[id] = t
	m.mu.Unlock()
	raw, _ := json.Marshal(storedAccess(t))
	// The access token is also kept in the keychain so another process
	// (the CLI) can use it without refreshing; if it does not fit, memory
	// is enough — it can always be refreshed.
	if err := m.cfg.Secrets.Set(ctx, id, secrets.SlotAccess, string(raw)); err != nil && !errors.Is(err, secrets.ErrTooLarge) {
		return fmt.Errorf("store access token of %s: %w", id, err)
	}
	return nil
}

func (m *Manager) fresh(t Token) bool {
	if t.AccessToken == "" {
		return false
	}
	if t.Expiry.IsZero() {
		return true
	}
	return m.cfg.Clock.Now().Add(m.Margin()).Before(t.Expiry)
}

func (m *Manager) loadAccess(ctx context.Context, id string) (Token, error) {
	raw, err := m.cfg.Secrets.Get(ctx, id, secrets.SlotAccess)
	if err != nil {
		return Token{}, err
	}
	return decodeAccess(raw), nil
}

// decodeAccess reads what storeAccess wrote; anything else is no token.
func decodeAccess(raw string) Token {
	var sa storedAccess
	if err := json.Unmarshal([]byte(raw), &sa); err != nil {
		return Token{}
	}
	return Token(sa)
}

// StoredAccessToken returns the access token inside a value the manager
// keeps in the access slot ("" when raw is not one), so the diagnostics
// bundle can search for the token itself without knowing how it is kept.
func StoredAccessToken(raw string) string { return decodeAccess(raw).AccessToken }

func (m *Manager) localLock(id string) *sync.Mutex {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.locks[id]
	if !ok {
		l = &sync.Mutex{}
		m.locks[id] = l
	}
	return l
}

// AccessToken returns a valid access token for id, refreshing when it is
// missing, expired or within the margin of expiry. rejected is a token the
// provider just refused (empty when none): it is never handed out again,
// so a caller that saw a 401 gets either a token someone else refreshed
// meanwhile or a fresh refresh.
func (m *Manager) AccessToken(ctx context.Context, id, rejected string) (Token, error) {
	usable := func(t Token) bool { return m.fresh(t) && (rejected == "" || t.AccessToken != rejected) }
	m.mu.Lock()
	cached, ok := m.cache[id]
	m.mu.Unlock()
	if ok && usable(cached) {
		return cached, nil
	}
	// One refresh per integration in this process…
	l := m.localLock(id)
	l.Lock()
	defer l.Unlock()
	// …and across processes.
	unlock, err := m.fileLock(ctx, id)
	if err != nil {
		return Token{}, err
	}
	defer unlock()
	// Whoever held the lock before may have refreshed already: the cache
	// (another goroutine) or the keychain (another process) may hold a
	// newer token.
	m.mu.Lock()
	cached, ok = m.cache[id]
	m.mu.Unlock()
	if ok && usable(cached) {
		return cached, nil
	}
	stored, err := m.loadAccess(ctx, id)
	switch {
	case err == nil && usable(stored):
		m.mu.Lock()
		m.cache[id] = stored
		m.mu.Unlock()
		return stored, nil
	case err != nil && !m.cfg.IsNotFound(err):
		return Token{}, fmt.Errorf("read access token of %s: %w", id, err)
	}
	return m.refresh(ctx, id)
}

func (m *Manager) refresh(ctx context.Context, id string) (Token, error) {
	rt, err := m.cfg.Secrets.Get(ctx, id, secrets.SlotRefresh)
	if m.cfg.IsNotFound(err) {
		return Token{}, &ReauthError{Cause: integration.CauseTokenExpired, Code: CodeNoRefreshToken}
	}
	if err != nil {
		return Token{}, fmt.Errorf("read refresh token of %s: %w", id, err)
	}
	t, err := m.cfg.Refresher.Refresh(ctx, id, rt)
	if err != nil {
		var te *oauth.TokenError
		if errors.As(err, &te) {
			v := m.read(id, te)
			if v.Status == integration.StatusNeedsReauth {
				// The grant is dead: drop the stale secrets so nothing keeps
				// retrying them, and say why.
				m.Forget(ctx, id)
				err = &ReauthError{Cause: v.Cause, Code: te.Code, Problem: v.Problem}
			} else {
				err = &RefusedError{Verdict: v, Err: te}
			}
		}
		if m.cfg.OnRefresh != nil {
			m.cfg.OnRefresh(id, false, err)
		}
		return Token{}, err
	}
	rotated := t.RefreshToken != "" && t.RefreshToken != rt
	if rotated {
		// Persist the rotated refresh token before the new access token is
		// used: if this fails we return an error and keep the old one, which
		// the provider may still accept; using the new access token without
		// saving its refresh token would lose the grant on a crash.
		if err := m.cfg.Secrets.Set(ctx, id, secrets.SlotRefresh, t.RefreshToken); err != nil {
			err = fmt.Errorf("persist rotated refresh token of %s: %w", id, err)
			if m.cfg.OnRefresh != nil {
				m.cfg.OnRefresh(id, true, err)
			}
			return Token{}, err
		}
	}
	out := Token{AccessToken: t.AccessToken, Expiry: t.Expiry, Scopes: t.Scopes}
	if err := m.storeAccess(ctx, id, out); err != nil {
		return Token{}, err
	}
	if m.cfg.OnRefresh != nil {
		m.cfg.OnRefresh(id, rotated, nil)
	}
	return out, nil
}

func (m *Manager) read(id string, te *oauth.TokenError) health.Verdict {
	if m.cfg.Read != nil {
		return m.cfg.Read(id, te)
	}
	return health.Read(nil, TokenObservation(te))
}

// TokenObservation is the Observation of a token endpoint's refusal.
func TokenObservation(te *oauth.TokenError) health.Observation {
	o := health.ObserveAnswer(catalog.AtToken, te.Status, te.Header, te.Body)
	if te.Code != "" {
		// x/oauth2 also reads form-encoded answers; its description is
		// whole, where the observation's is cut short.
		o.OAuthError, o.ErrorText = te.Code, te.Description
	}
	return o
}

func (m *Manager) fileLock(ctx context.Context, id string) (func(), error) {
	if m.cfg.LockDir == "" {
		return func() {}, nil
	}
	dir := filepath.Join(m.cfg.LockDir, "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lock dir: %w", err)
	}
	fl := flock.New(filepath.Join(dir, id+".lock"))
	ok, err := fl.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil || !ok {
		return nil, fmt.Errorf("lock %s: %w", id, errors.Join(err, ctx.Err()))
	}
	return func() { fl.Unlock() }, nil
}

// Forget drops every cached and stored token of id.
func (m *Manager) Forget(ctx context.Context, id string) {
	m.mu.Lock()
	delete(m.cache, id)
	m.mu.Unlock()
	m.cfg.Secrets.Delete(ctx, id, secrets.SlotAccess)
	m.cfg.Secrets.Delete(ctx, id, secrets.SlotRefresh)
}

// RefreshToken returns the stored refresh token (for revocation on remove).
func (m *Manager) RefreshToken(ctx context.Context, id string) (string, error) {
	return m.cfg.Secrets.Get(ctx, id, secrets.SlotRefresh)
}
