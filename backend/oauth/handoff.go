package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Handoff carries a private-use-scheme callback (RFC 8252 §7.1) to the
// attempt waiting for it. The OS hands io.relink.app:/callback?… to a new
// `relink URI` process; that process finds, by the callback's state, the
// loopback listener of the attempt (in this or another Relink process, the
// window or the CLI) and forwards the query there, where state, iss and
// PKCE are checked as for any loopback callback. The directory holds only
// loopback addresses, one file per waiting attempt, named by a hash of its
// state.
type Handoff struct{ Dir string }

// HandoffDir is the per-user directory for handoffs: under
// $XDG_RUNTIME_DIR (private to the user, cleared at logout), else the
// temporary directory.
func HandoffDir(getenv func(string) string) string {
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "relink-callbacks")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("relink-callbacks-%d", os.Getuid()))
}

func handoffName(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:16])
}

// Publish records where the attempt with state listens until release.
func (h Handoff) Publish(state, listenURL string) (func(), error) {
	if err := os.MkdirAll(h.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("handoff dir: %w", err)
	}
	if fi, err := os.Stat(h.Dir); err != nil || fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("handoff dir %s must be private to the user", h.Dir)
	}
	path := filepath.Join(h.Dir, handoffName(state))
	if err := os.WriteFile(path, []byte(listenURL), 0o600); err != nil {
		return nil, fmt.Errorf("handoff: %w", err)
	}
	return func() { os.Remove(path) }, nil
}

// ErrNoAttempt means no Relink attempt waits for this callback (it ended,
// timed out, or the link was not Relink's).
var ErrNoAttempt = errors.New("no authorization is waiting for this callback")

// Forward delivers a private-use-scheme callback URI to the listener of
// its attempt and returns the listener's verdict (nil when accepted).
func (h Handoff) Forward(ctx context.Context, client *http.Client, scheme, callback string) error {
	u, err := url.Parse(callback)
	if err != nil || !strings.EqualFold(u.Scheme, scheme) {
		return fmt.Errorf("not a %s: callback", scheme)
	}
	state := u.Query().Get("state")
	if state == "" {
		return ErrNoAttempt
	}
	b, err := os.ReadFile(filepath.Join(h.Dir, handoffName(state)))
	if err != nil {
		return ErrNoAttempt
	}
	target, err := url.Parse(string(b))
	if err != nil || target.Scheme != "http" || target.Hostname() != "127.0.0.1" || target.Path != CallbackPath {
		return fmt.Errorf("handoff for this callback is not a loopback listener")
	}
	target.RawQuery = u.RawQuery
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("forward callback: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the waiting authorization refused this callback (HTTP %d)", resp.StatusCode)
	}
	return nil
}
