package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestExactRedirect: in exact-match mode only a registered redirect URI,
// port included, is redirected to, and it completes the code flow; every
// other address gets a 400 and no redirect (RFC 6749 §4.1.2.1).
func TestExactRedirect(t *testing.T) {
	const (
		fixed  = "http://localhost:53682/callback"
		ipv4   = "http://127.0.0.1:53690/callback"
		scheme = "io.relink.app:/callback"
	)
	sb := start(t, Options{ExactRedirect: true, Clients: []Client{{ID: PublicClient, RedirectURIs: []string{fixed, ipv4, scheme}}}})
	for _, tc := range []struct {
		uri  string
		want bool
	}{
		{fixed, true},
		{scheme, true},
		{ipv4, true},
		{"http://localhost:53683/callback", false},  // another port
		{"http://127.0.0.1:53682/callback", false},  // another host for the same port
		{"http://localhost:53682/callback/", false}, // a trailing slash
		{"http://localhost:53682/Callback", false},
		{"http://localhost/callback", false},
		{"http://127.0.0.1:4000/callback", false}, // loopback any-port (RFC 8252 §7.3) is off in this mode
		{"io.relink.app:/callback/x", false},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			v := oauth2.GenerateVerifier()
			c := sb.config(PublicClient, "", tc.uri)
			resp, err := noRedirect().Get(c.AuthCodeURL("state-123456789", oauth2.S256ChallengeOption(v)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc := resp.Header.Get("Location")
			if !tc.want {
				if resp.StatusCode != http.StatusBadRequest || loc != "" {
					t.Errorf("unregistered %s: status %d location %q; want 400 and no redirect", tc.uri, resp.StatusCode, loc)
				}
				return
			}
			if !strings.HasPrefix(loc, tc.uri+"?") || !strings.Contains(loc, "code=") {
				t.Fatalf("registered %s: status %d location %q; want a redirect with a code", tc.uri, resp.StatusCode, loc)
			}
			u, err := url.Parse(loc)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			tok, err := c.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
			if err != nil || tok.AccessToken == "" {
				t.Fatalf("exchange for %s: %v", tc.uri, err)
			}
			if w := sb.whoami(t, tok.AccessToken); w.body["email"] != DefaultUser {
				t.Errorf("whoami with the token: %+v", w)
			}
		})
	}
}

// TestLoopbackAnyPortByDefault: without exact mode, registered loopback
// IP literals still match any port (RFC 8252 §7.3), as before.
func TestLoopbackAnyPortByDefault(t *testing.T) {
	sb := start(t, Options{})
	v := oauth2.GenerateVerifier()
	resp, err := noRedirect().Get(sb.config(PublicClient, "", "http://127.0.0.1:4567/callback").AuthCodeURL("state-123456789", oauth2.S256ChallengeOption(v)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "http://127.0.0.1:4567/callback?") {
		t.Errorf("any-port loopback: location %q; want a redirect", loc)
	}
}
