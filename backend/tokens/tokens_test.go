package tokens

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/secrets"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

type countingRefresher struct {
	calls  atomic.Int32
	rotate bool
	err    error
	delay  time.Duration
	now    func() time.Time
}

func (r *countingRefresher) Refresh(ctx context.Context, id, rt string) (*oauth.Token, error) {
	n := r.calls.Add(1)
	time.Sleep(r.delay)
	if r.err != nil {
		return nil, r.err
	}
	t := &oauth.Token{AccessToken: fmt.Sprintf("at-%d", n), Expiry: r.now().Add(time.Hour)}
	if r.rotate {
		t.RefreshToken = fmt.Sprintf("rt-%d", n)
	} else {
		t.RefreshToken = rt
	}
	return t, nil
}

func setup(t *testing.T, now time.Time) (*Manager, *secrets.Memory, *secrets.Keychain, *countingRefresher) {
	mem := secrets.NewMemory()
	kc := secrets.NewWithBackend("relink-test", time.Second, mem, nil)
	r := &countingRefresher{now: func() time.Time { return now }, delay: 5 * time.Millisecond}
	m := NewManager(Config{Secrets: kc, Refresher: r, Clock: fixedClock{now}, LockDir: t.TempDir(),
		IsNotFound: func(err error) bool { return errors.Is(err, secrets.ErrNotFound) }})
	return m, mem, kc, r
}

func TestFreshTokenIsNotRefreshed(t *testing.T) {
	now := time.Now()
	m, _, _, r := setup(t, now)
	ctx := context.Background()
	m.Store(ctx, "i1", &oauth.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: now.Add(time.Hour)})
	tok, err := m.AccessToken(ctx, "i1", "")
	if err != nil || tok.AccessToken != "at-0" || r.calls.Load() != 0 {
		t.Errorf("got %v, %v, %d refreshes; want at-0 and none", tok, err, r.calls.Load())
	}
}

func TestRefreshAheadOfExpiry(t *testing.T) {
	now := time.Now()
	m, _, _, r := setup(t, now)
	ctx := context.Background()
	m.Store(ctx, "i1", &oauth.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: now.Add(5 * time.Minute)})
	tok, err := m.AccessToken(ctx, "i1", "")
	if err != nil || tok.AccessToken != "at-1" || r.calls.Load() != 1 {
		t.Errorf("got %v, %v, %d refreshes; want a refresh inside the 10 min margin", tok, err, r.calls.Load())
	}
}

func TestFiftyConcurrentCallsOneRefresh(t *testing.T) {
	now := time.Now()
	m, _, _, r := setup(t, now)
	ctx := context.Background()
	m.Store(ctx, "i1", &oauth.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: now.Add(-time.Minute)})
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := m.AccessToken(ctx, "i1", ""); err != nil || tok.AccessToken != "at-1" {
				t.Errorf("got %v, %v", tok, err)
			}
		}()
	}
	wg.Wait()
	if got := r.calls.Load(); got != 1 {
		t.Errorf("refreshes: got %d; want 1", got)
	}
}

func TestRotatedRefreshTokenPersistedBeforeUse(t *testing.T) {
	now := time.Now()
	m, mem, kc, r := setup(t, now)
	r.rotate = true
	ctx := context.Background()
	m.Store(ctx, "i1", &oauth.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: now.Add(-time.Minute)})
	mem.SetFail(func(op, user string) error {
		if op == "set" && strings.HasSuffix(user, "/refresh_token") {
			return errors.New("dbus: keychain write failed")
		}
		return nil
	})
	tok, err := m.AccessToken(ctx, "i1", "")
	if err == nil || tok.AccessToken != "" {
		t.Fatalf("got %v, %v; want no token when the rotated refresh token cannot be saved", tok, err)
	}
	mem.SetFail(nil)
	if rt, _ := kc.Get(ctx, "i1", secrets.SlotRefresh); rt != "rt-0" {
		t.Errorf("refresh token got %q; want the old one kept", rt)
	}
	tok, err = m.AccessToken(ctx, "i1", "")
	if err != nil {
		t.Fatal(err)
	}
	if rt, _ := kc.Get(ctx, "i1", secrets.SlotRefresh); rt != "rt-2" || tok.AccessToken != "at-2" {
		t.Errorf("after recovery got refresh %q, access %q; want rt-2, at-2", rt, tok.AccessToken)
	}
}

const fositeInvalidGrant = "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, " +
	"expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."

func TestInvalidGrantClearsSecrets(t *testing.T) {
	for _, tc := range []struct {
		desc string
		want integration.Cause
	}{
		{"refresh token expired", integration.CauseTokenExpired},
		{"Token has been revoked by the user", integration.CauseAccessRevoked},
		// fosite and Hydra send RFC 6749's definition, which lists both.
		{fositeInvalidGrant, integration.CauseTokenExpired},
		{fositeInvalidGrant + " The grant has been revoked by an administrator.", integration.CauseAccessRevoked},
		{"Token is inactive because it is malformed, expired or otherwise invalid.", integration.CauseTokenExpired},
		// Google: could be either, so not an accusation.
		{"Token has been expired or revoked.", integration.CauseTokenExpired},
	} {
		now := time.Now()
		m, mem, _, r := setup(t, now)
		r.err = &oauth.TokenError{Code: "invalid_grant", Description: tc.desc, Status: 400}
		ctx := context.Background()
		m.Store(ctx, "i1", &oauth.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: now.Add(-time.Minute)})
		_, err := m.AccessToken(ctx, "i1", "")
		var re *ReauthError
		if !errors.Is(err, ErrReauthRequired) || !errors.As(err, &re) || re.Cause != tc.want {
			t.Errorf("%q: got %v; want reauth with cause %s", tc.desc, err, tc.want)
		}
		if mem.Len() != 0 {
			t.Errorf("%q: %d secrets left; want the stale ones removed", tc.desc, mem.Len())
		}
	}
}

func TestNetworkErrorKeepsSecrets(t *testing.T) {
	now := time.Now()
	m, mem, _, r := setup(t, now)
	r.err = fmt.Errorf("refresh: %w", oauth.ErrNetwork)
	ctx := context.Background()
	m.Store(ctx, "i1", &oauth.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: now.Add(-time.Minute)})
	if _, err := m.AccessToken(ctx, "i1", ""); !errors.Is(err, oauth.ErrNetwork) {
		t.Errorf("got %v; want the network error", err)
	}
	if mem.Len() != 2 {
		t.Errorf("%d secrets left; want both kept", mem.Len())
	}
}

func TestRejectedTokenIsNeverReturned(t *testing.T) {
	now := time.Now()
	m, _, kc, r := setup(t, now)
	ctx := context.Background()
	m.Store(ctx, "i1", &oauth.Token{AccessToken: "at-A", RefreshToken: "rt-0", Expiry: now.Add(time.Hour)})
	// Another process stored B meanwhile; the provider rejected A.
	kc.Set(ctx, "i1", secrets.SlotAccess, `{"a":"at-B","e":"`+now.Add(2*time.Hour).Format(time.RFC3339Nano)+`"}`)
	tok, err := m.AccessToken(ctx, "i1", "at-A")
	if err != nil || tok.AccessToken != "at-B" || r.calls.Load() != 0 {
		t.Fatalf("got %v, %v, %d refreshes; want B without a refresh", tok, err, r.calls.Load())
	}
	// B is rejected too: now a refresh is the only way.
	tok, err = m.AccessToken(ctx, "i1", "at-B")
	if err != nil || tok.AccessToken != "at-1" || r.calls.Load() != 1 {
		t.Fatalf("got %v, %v, %d refreshes; want a refresh", tok, err, r.calls.Load())
	}
}

func TestClockTenMinutesOff(t *testing.T) {
	// Expiry is computed from expires_in at receive time, so the local
	// clock's offset cancels out; a clock 10 minutes behind the server
	// still refreshes ahead of the token's real expiry.
	real := time.Now()
	for _, skew := range []time.Duration{-10 * time.Minute, 10 * time.Minute} {
		local := real.Add(skew)
		m, _, _, r := setup(t, local)
		ctx := context.Background()
		// The provider said expires_in=15m; the local clock recorded it as
		// local+15m. Five minutes later (local clock) it is within margin.
		m.Store(ctx, "i1", &oauth.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: local.Add(15 * time.Minute)})
		m.cfg.Clock = fixedClock{local.Add(6 * time.Minute)}
		if _, err := m.AccessToken(ctx, "i1", ""); err != nil || r.calls.Load() != 1 {
			t.Errorf("skew %v: got %v, %d refreshes; want 1", skew, err, r.calls.Load())
		}
	}
}

// TestHelperProcessRefresh is the child of TestTwoProcessesOneRefresh.
func TestHelperProcessRefresh(t *testing.T) {
	dir := os.Getenv("RELINK_TOKENS_CHILD_DIR")
	if dir == "" {
		t.Skip("helper process")
	}
	mem := &fileSecrets{dir: dir}
	count := &fileCounter{path: filepath.Join(dir, "refreshes")}
	m := NewManager(Config{Secrets: mem, Refresher: count, Clock: fixedClock{time.Now()}, LockDir: dir,
		IsNotFound: func(err error) bool { return errors.Is(err, os.ErrNotExist) }})
	if _, err := m.AccessToken(context.Background(), "i1", ""); err != nil {
		t.Fatal(err)
	}
}

func TestTwoProcessesOneRefresh(t *testing.T) {
	dir := t.TempDir()
	fs := &fileSecrets{dir: dir}
	ctx := context.Background()
	fs.Set(ctx, "i1", secrets.SlotRefresh, "rt-0")
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessRefresh$")
			cmd.Env = append(os.Environ(), "RELINK_TOKENS_CHILD_DIR="+dir)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("child: %v\n%s", err, out)
			}
		}()
	}
	wg.Wait()
	b, _ := os.ReadFile(filepath.Join(dir, "refreshes"))
	if got := len(b); got != 1 {
		t.Errorf("refreshes across two processes: got %d; want 1", got)
	}
}

// fileSecrets is a keychain shared by processes through files (the real
// keychain is shared the same way; this keeps the test hermetic).
type fileSecrets struct{ dir string }

func (f *fileSecrets) path(id, slot string) string { return filepath.Join(f.dir, id+"."+slot) }
func (f *fileSecrets) Get(_ context.Context, id, slot string) (string, error) {
	b, err := os.ReadFile(f.path(id, slot))
	return string(b), err
}
func (f *fileSecrets) Set(_ context.Context, id, slot, v string) error {
	return os.WriteFile(f.path(id, slot), []byte(v), 0o600)
}
func (f *fileSecrets) Delete(_ context.Context, id, slot string) error {
	return os.Remove(f.path(id, slot))
}

type fileCounter struct{ path string }

func (c *fileCounter) Refresh(ctx context.Context, id, rt string) (*oauth.Token, error) {
	f, err := os.OpenFile(c.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	f.Write([]byte("x"))
	f.Close()
	time.Sleep(200 * time.Millisecond)
	return &oauth.Token{AccessToken: "at-" + strconv.Itoa(os.Getpid()), RefreshToken: rt, Expiry: time.Now().Add(time.Hour)}, nil
}

// TestStoredAccessTokenReadsWhatStoreWrote: the diagnostics bundle finds
// the access token in what the manager keeps, whatever that shape is.
func TestStoredAccessTokenReadsWhatStoreWrote(t *testing.T) {
	now := time.Now()
	m, _, kc, _ := setup(t, now)
	ctx := context.Background()
	if err := m.Store(ctx, "i1", &oauth.Token{AccessToken: "at-kept", RefreshToken: "rt-0", Expiry: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	raw, err := kc.Get(ctx, "i1", secrets.SlotAccess)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ raw, want string }{
		{raw, "at-kept"},
		{"not json", ""},
		{"", ""},
	} {
		if got := StoredAccessToken(tc.raw); got != tc.want {
			t.Errorf("StoredAccessToken(%q) = %q; want %q", tc.raw, got, tc.want)
		}
	}
}

// An access token too large for the keychain (some providers' JWTs carry
// every group claim) is kept in memory: it can always be refreshed, so
// storing the grant does not fail.
func TestAccessTokenTooLargeForTheKeychainStaysInMemory(t *testing.T) {
	now := time.Now()
	m, _, kc, r := setup(t, now)
	ctx := context.Background()
	huge := strings.Repeat("a", secrets.MaxValue+1)
	if err := m.Store(ctx, "i1", &oauth.Token{AccessToken: huge, RefreshToken: "rt-0", Expiry: now.Add(time.Hour)}); err != nil {
		t.Fatalf("Store: %v; want the token kept in memory", err)
	}
	if _, err := kc.Get(ctx, "i1", secrets.SlotAccess); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("keychain access slot: %v; want nothing stored", err)
	}
	tok, err := m.AccessToken(ctx, "i1", "")
	if err != nil || tok.AccessToken != huge || r.calls.Load() != 0 {
		t.Errorf("got %d bytes, %v, %d refreshes; want the stored token from memory", len(tok.AccessToken), err, r.calls.Load())
	}
}
