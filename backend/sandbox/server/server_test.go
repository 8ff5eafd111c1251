package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func start(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	hs.Start()
	s, err := New(Options{Issuer: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = s.Handler()
	t.Cleanup(hs.Close)
	return s, hs
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func cfg(base, redirect string) *oauth2.Config {
	return &oauth2.Config{ClientID: PublicClient, RedirectURL: redirect, Scopes: []string{"openid", "analytics.read"},
		Endpoint: oauth2.Endpoint{AuthURL: base + "/authorize", TokenURL: base + "/token", AuthStyle: oauth2.AuthStyleInParams}}
}

// authorize drives /authorize headlessly and returns the redirect query.
func authorize(t *testing.T, base, redirect string, opts ...oauth2.AuthCodeOption) (url.Values, *oauth2.Config) {
	t.Helper()
	c := cfg(base, redirect)
	resp, err := noRedirect().Get(c.AuthCodeURL("state-123456789", opts...))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode/100 != 3 {
		t.Fatalf("authorize: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query(), c
}

func TestCodeFlowWithPKCEAndIss(t *testing.T) {
	_, hs := start(t)
	v := oauth2.GenerateVerifier()
	q, c := authorize(t, hs.URL, "http://127.0.0.1:43123/callback", oauth2.S256ChallengeOption(v))
	if q.Get("iss") != hs.URL || q.Get("state") != "state-123456789" || q.Get("code") == "" {
		t.Fatalf("redirect query %v", q)
	}
	tok, err := c.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("exchange: %v %+v", err, tok)
	}
	req, _ := http.NewRequest("GET", hs.URL+"/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, _ := http.DefaultClient.Do(req)
	var who map[string]string
	json.NewDecoder(resp.Body).Decode(&who)
	if who["email"] != "ana@example.com" || !strings.Contains(who["scope"], "analytics.read") {
		t.Errorf("whoami %v", who)
	}
}

func TestPKCERules(t *testing.T) {
	_, hs := start(t)
	for name, opts := range map[string][]oauth2.AuthCodeOption{
		"missing": nil,
		"plain":   {oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)), oauth2.SetAuthURLParam("code_challenge_method", "plain")},
	} {
		q, _ := authorize(t, hs.URL, "http://127.0.0.1:5555/callback", opts...)
		if q.Get("error") == "" || q.Get("iss") != hs.URL {
			t.Errorf("%s PKCE: got %v; want an error redirect with iss", name, q)
		}
	}
}

func TestLoopbackRedirectsOnly(t *testing.T) {
	_, hs := start(t)
	v := oauth2.GenerateVerifier()
	for _, r := range []string{"http://127.0.0.1:1/callback", "http://127.0.0.1:65000/callback", "http://[::1]:4000/callback"} {
		q, _ := authorize(t, hs.URL, r, oauth2.S256ChallengeOption(v))
		if q.Get("code") == "" {
			t.Errorf("%s refused: %v", r, q)
		}
	}
	resp, err := noRedirect().Get(cfg(hs.URL, "http://evil.example/callback").AuthCodeURL("state-123456789", oauth2.S256ChallengeOption(v)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode/100 == 3 && strings.HasPrefix(resp.Header.Get("Location"), "http://evil.example") {
		t.Errorf("redirected to a non-loopback URI")
	}
}

func post(t *testing.T, u, body string) {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %v %s", u, err, b)
	}
	resp.Body.Close()
}

func grant(t *testing.T, hs *httptest.Server) (*oauth2.Config, *oauth2.Token) {
	v := oauth2.GenerateVerifier()
	q, c := authorize(t, hs.URL, "http://127.0.0.1:43123/callback", oauth2.S256ChallengeOption(v))
	tok, err := c.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	return c, tok
}

func refresh(c *oauth2.Config, rt string) (*oauth2.Token, error) {
	return c.TokenSource(context.Background(), &oauth2.Token{RefreshToken: rt}).Token()
}

func TestRotationAndReuseDetection(t *testing.T) {
	s, hs := start(t)
	c, tok := grant(t, hs)
	t2, err := refresh(c, tok.RefreshToken)
	if err != nil || t2.RefreshToken == tok.RefreshToken {
		t.Fatalf("rotation: %v", err)
	}
	if _, err := refresh(c, tok.RefreshToken); err == nil {
		t.Fatalf("replayed refresh token accepted")
	}
	if _, err := refresh(c, t2.RefreshToken); err == nil {
		t.Errorf("reuse did not revoke the family")
	}
	if got := s.Counts()["refresh_token"]; got != 3 {
		t.Errorf("refresh requests counted %d; want 3", got)
	}
}

func TestControls(t *testing.T) {
	_, hs := start(t)
	c, tok := grant(t, hs)
	who := func(at string) int {
		req, _ := http.NewRequest("GET", hs.URL+"/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+at)
		resp, _ := http.DefaultClient.Do(req)
		resp.Body.Close()
		return resp.StatusCode
	}
	post(t, hs.URL+"/control/expire-tokens", "")
	if who(tok.AccessToken) != 401 {
		t.Errorf("expired token accepted")
	}
	t2, err := refresh(c, tok.RefreshToken)
	if err != nil || who(t2.AccessToken) != 200 {
		t.Fatalf("refresh after expiry: %v", err)
	}
	post(t, hs.URL+"/control/revoke-user", `{}`)
	if _, err := refresh(c, t2.RefreshToken); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("refresh after revoke: %v; want invalid_grant revoked", err)
	}
	post(t, hs.URL+"/control/reset", "")
	post(t, hs.URL+"/control/state", `{"outage":true}`)
	resp, _ := http.Get(hs.URL + "/.well-known/oauth-authorization-server")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("outage: got %d", resp.StatusCode)
	}
	post(t, hs.URL+"/control/state", `{"outage":false,"denyNext":true}`)
	q, _ := authorize(t, hs.URL, "http://127.0.0.1:9/callback", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	if q.Get("error") != "access_denied" || q.Get("iss") != hs.URL {
		t.Errorf("deny: %v", q)
	}
	post(t, hs.URL+"/control/api-keys", `{"keys":{"k1":"ops@example.com"}}`)
	req, _ := http.NewRequest("GET", hs.URL+"/api/whoami", nil)
	req.Header.Set("X-API-Key", "k1")
	resp, _ = http.DefaultClient.Do(req)
	if resp.StatusCode != 200 {
		t.Errorf("api key whoami: %d", resp.StatusCode)
	}
}

func TestMetadataIssuerIsBaseURL(t *testing.T) {
	_, hs := start(t)
	resp, _ := http.Get(hs.URL + "/.well-known/oauth-authorization-server")
	var md map[string]any
	json.NewDecoder(resp.Body).Decode(&md)
	if md["issuer"] != hs.URL || md["authorization_response_iss_parameter_supported"] != true {
		t.Errorf("metadata %v", md)
	}
}
