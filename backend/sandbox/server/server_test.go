package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const redirect = "http://127.0.0.1:43123/callback"

// sandbox is a Server running in-process on a loopback port.
type sandbox struct {
	*Server
	URL string
}

func start(t *testing.T, o Options) *sandbox {
	t.Helper()
	return startWrapped(t, o, nil)
}

// startWrapped serves the sandbox through wrap (nil: as it is).
func startWrapped(t *testing.T, o Options, wrap func(http.Handler) http.Handler) *sandbox {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	hs.Start()
	t.Cleanup(hs.Close)
	o.Issuer = hs.URL
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	hs.Config.Handler = h
	return &sandbox{s, hs.URL}
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (sb *sandbox) config(clientID, secret, redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: redirectURL,
		Scopes:   []string{"openid", "offline", "analytics.read", "analytics.write"},
		Endpoint: oauth2.Endpoint{AuthURL: sb.URL + "/authorize", TokenURL: sb.URL + "/token", AuthStyle: oauth2.AuthStyleInParams}}
}

// authorize plays the browser: it asks /authorize and returns the query of
// the redirect to the client.
func (sb *sandbox) authorize(t *testing.T, c *oauth2.Config, opts ...oauth2.AuthCodeOption) url.Values {
	t.Helper()
	resp, err := noRedirect().Get(c.AuthCodeURL("state-123456789", opts...))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d location %q; want a redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

// grant runs the whole code + PKCE flow for the public client.
func (sb *sandbox) grant(t *testing.T) (*oauth2.Config, *oauth2.Token) {
	t.Helper()
	c := sb.config(PublicClient, "", redirect)
	v := oauth2.GenerateVerifier()
	q := sb.authorize(t, c, oauth2.S256ChallengeOption(v))
	tok, err := c.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return c, tok
}

func refresh(c *oauth2.Config, rt string) (*oauth2.Token, error) {
	return c.TokenSource(context.Background(), &oauth2.Token{RefreshToken: rt}).Token()
}

func errorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

type who struct {
	status int
	body   map[string]string
	header http.Header
}

func (sb *sandbox) whoami(t *testing.T, accessToken string) who {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, sb.URL+"/whoami", nil)
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	w := who{status: resp.StatusCode, header: resp.Header}
	json.NewDecoder(resp.Body).Decode(&w.body)
	return w
}

// control posts to a control endpoint and decodes the answer.
func (sb *sandbox) control(t *testing.T, path, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(sb.URL+"/control/"+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("control %s %s: %d %s", path, body, resp.StatusCode, b)
	}
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

func TestCodeFlowWithPKCE(t *testing.T) {
	sb := start(t, Options{})
	for _, tc := range []struct{ client, secret string }{
		{PublicClient, ""},
		{ConfidentialClient, ConfidentialSecret},
	} {
		t.Run(tc.client, func(t *testing.T) {
			c := sb.config(tc.client, tc.secret, redirect)
			v := oauth2.GenerateVerifier()
			q := sb.authorize(t, c, oauth2.S256ChallengeOption(v))
			if got := q.Get("iss"); got != sb.URL {
				t.Errorf("iss = %q; want %q", got, sb.URL)
			}
			if got := q.Get("state"); got != "state-123456789" {
				t.Errorf("state = %q; want it echoed", got)
			}
			tok, err := c.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" {
				t.Fatalf("got access %t refresh %t; want both", tok.AccessToken != "", tok.RefreshToken != "")
			}
			if got, want := tok.Extra("scope"), "openid offline analytics.read analytics.write"; got != want {
				t.Errorf("token scope = %q; want %q", got, want)
			}
			w := sb.whoami(t, tok.AccessToken)
			want := map[string]string{"sub": DefaultUser, "email": DefaultUser, "name": "ana", "scope": "openid offline analytics.read analytics.write"}
			if w.status != http.StatusOK || !sameMap(w.body, want) {
				t.Errorf("whoami = %d %v; want 200 %v", w.status, w.body, want)
			}
		})
	}
}

func sameMap(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func TestConfidentialClientNeedsItsSecret(t *testing.T) {
	sb := start(t, Options{})
	c := sb.config(ConfidentialClient, "wrong", redirect)
	v := oauth2.GenerateVerifier()
	q := sb.authorize(t, c, oauth2.S256ChallengeOption(v))
	_, err := c.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
	if got := errorCode(err); got != "invalid_client" {
		t.Errorf("exchange with a wrong secret: %v; want invalid_client", err)
	}
}

func TestAuthorizeErrorsRedirectWithIss(t *testing.T) {
	sb := start(t, Options{})
	verifier := oauth2.GenerateVerifier()
	for _, tc := range []struct {
		name string
		opts []oauth2.AuthCodeOption
	}{
		{"missing PKCE", nil},
		{"plain PKCE", []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("code_challenge", verifier), oauth2.SetAuthURLParam("code_challenge_method", "plain")}},
		{"challenge without method", []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("code_challenge", verifier)}},
		{"unknown scope", []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("scope", "openid admin")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := sb.authorize(t, sb.config(PublicClient, "", redirect), tc.opts...)
			if q.Get("error") == "" || q.Get("code") != "" {
				t.Errorf("redirect query %v; want an error and no code", q)
			}
			if got := q.Get("iss"); got != sb.URL {
				t.Errorf("iss = %q; want %q", got, sb.URL)
			}
		})
	}
}

func TestPKCEVerifierChecked(t *testing.T) {
	sb := start(t, Options{})
	c := sb.config(PublicClient, "", redirect)
	q := sb.authorize(t, c, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	_, err := c.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	if got := errorCode(err); got != "invalid_grant" {
		t.Errorf("exchange with another verifier: %v; want invalid_grant", err)
	}
}

func TestRedirectURIs(t *testing.T) {
	sb := start(t, Options{})
	v := oauth2.GenerateVerifier()
	for _, tc := range []struct {
		uri  string
		want bool
	}{
		{"http://127.0.0.1:1/callback", true},
		{"http://127.0.0.1:65000/callback", true},
		{"http://[::1]:4000/callback", true},
		{"http://127.0.0.1:4000/other", false},
		{"https://127.0.0.1:4000/callback", false},
		{"http://evil.example/callback", false},
		{"http://evil.example:4000/callback", false},
	} {
		resp, err := noRedirect().Get(sb.config(PublicClient, "", tc.uri).AuthCodeURL("state-123456789", oauth2.S256ChallengeOption(v)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		got := resp.StatusCode/100 == 3 && strings.HasPrefix(loc, tc.uri) && strings.Contains(loc, "code=")
		if got != tc.want {
			t.Errorf("%s: status %d location %q; want accepted %t", tc.uri, resp.StatusCode, loc, tc.want)
		}
		if !tc.want && loc != "" {
			t.Errorf("%s: redirected to %q; want no redirect to an unregistered URI", tc.uri, loc)
		}
	}
}

func TestDenyAndOmitIss(t *testing.T) {
	sb := start(t, Options{})
	c := sb.config(PublicClient, "", redirect)
	ch := oauth2.S256ChallengeOption(oauth2.GenerateVerifier())

	sb.control(t, "state", `{"denyNext":true}`)
	q := sb.authorize(t, c, ch)
	if q.Get("error") != "access_denied" || q.Get("iss") != sb.URL || q.Get("code") != "" {
		t.Errorf("denied redirect %v; want error=access_denied with iss", q)
	}
	if q = sb.authorize(t, c, ch); q.Get("code") == "" {
		t.Errorf("after one denial: %v; want a code (denyNext is one-shot)", q)
	}

	sb.control(t, "state", `{"omitIss":true}`)
	if q = sb.authorize(t, c, ch); q.Has("iss") || q.Get("code") == "" {
		t.Errorf("omitIss redirect %v; want a code and no iss", q)
	}
}

func TestRefreshRotationAndReuseDetection(t *testing.T) {
	sb := start(t, Options{})
	c, tok := sb.grant(t)
	t2, err := refresh(c, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if t2.RefreshToken == tok.RefreshToken || t2.RefreshToken == "" {
		t.Fatalf("refresh token not rotated")
	}
	if w := sb.whoami(t, t2.AccessToken); w.status != http.StatusOK {
		t.Fatalf("whoami with the refreshed token = %d; want 200", w.status)
	}
	if _, err := refresh(c, tok.RefreshToken); errorCode(err) != "invalid_grant" {
		t.Fatalf("replayed refresh token: %v; want invalid_grant", err)
	}
	if _, err := refresh(c, t2.RefreshToken); errorCode(err) != "invalid_grant" {
		t.Errorf("rotated refresh token after a replay: %v; want invalid_grant (family revoked)", err)
	}
	if w := sb.whoami(t, t2.AccessToken); w.status != http.StatusUnauthorized {
		t.Errorf("access token of a revoked family = %d; want 401", w.status)
	}
	if got := sb.Counters().Token["refresh_token"]; got != 3 {
		t.Errorf("refresh requests counted %d; want 3", got)
	}
	if got := sb.Counters().RefreshReuse; got != 2 {
		t.Errorf("reuse detections counted %d; want 2", got)
	}
}

func revoke(t *testing.T, sb *sandbox, token, hint string) int {
	t.Helper()
	resp, err := http.PostForm(sb.URL+"/revoke", url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {PublicClient}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRevocationEndpoint(t *testing.T) {
	sb := start(t, Options{})
	_, tok := sb.grant(t)
	if got := revoke(t, sb, tok.AccessToken, "access_token"); got != http.StatusOK {
		t.Fatalf("revoke access token = %d; want 200", got)
	}
	if w := sb.whoami(t, tok.AccessToken); w.status != http.StatusUnauthorized {
		t.Errorf("whoami after revoking the access token = %d; want 401", w.status)
	}

	c, tok := sb.grant(t)
	if got := revoke(t, sb, tok.RefreshToken, "refresh_token"); got != http.StatusOK {
		t.Fatalf("revoke refresh token = %d; want 200", got)
	}
	if _, err := refresh(c, tok.RefreshToken); errorCode(err) != "invalid_grant" {
		t.Errorf("refresh after revocation: %v; want invalid_grant", err)
	}
	if got := revoke(t, sb, "not-a-token", ""); got != http.StatusOK {
		t.Errorf("revoke an unknown token = %d; want 200 (RFC 7009 §2.2)", got)
	}
	if got := sb.Counters().Revoke; got != 3 {
		t.Errorf("revoke requests counted %d; want 3", got)
	}
}

func TestWhoamiRefusals(t *testing.T) {
	sb := start(t, Options{})
	_, tok := sb.grant(t)
	for _, tc := range []struct{ name, token string }{
		{"missing", ""},
		{"garbage", "nope"},
		{"refresh token", tok.RefreshToken},
	} {
		w := sb.whoami(t, tc.token)
		if w.status != http.StatusUnauthorized || !strings.HasPrefix(w.header.Get("WWW-Authenticate"), `Bearer error="invalid_token"`) {
			t.Errorf("%s: %d %q; want 401 with Bearer error=\"invalid_token\"", tc.name, w.status, w.header.Get("WWW-Authenticate"))
		}
	}
}

func TestControlRevokeUser(t *testing.T) {
	sb := start(t, Options{})
	c, tok := sb.grant(t)
	t2, err := refresh(c, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if got := sb.control(t, "revoke-user", `{}`); got["revoked"] != DefaultUser {
		t.Errorf("revoke-user = %v; want the current user revoked", got)
	}
	if _, err := refresh(c, t2.RefreshToken); errorCode(err) != "invalid_grant" {
		t.Errorf("refresh after an admin revocation: %v; want invalid_grant", err)
	}
	if w := sb.whoami(t, t2.AccessToken); w.status != http.StatusUnauthorized {
		t.Errorf("whoami after an admin revocation = %d; want 401", w.status)
	}
	sb.control(t, "reset", "")
	if w := sb.whoami(t, t2.AccessToken); w.status != http.StatusUnauthorized {
		t.Errorf("whoami after reset = %d; want 401 (revocations survive reset)", w.status)
	}
	c, tok = sb.grant(t)
	if _, err := refresh(c, tok.RefreshToken); err != nil {
		t.Errorf("refresh of a grant made after the revocation: %v", err)
	}
}

func TestControlExpireTokens(t *testing.T) {
	sb := start(t, Options{})
	c, tok := sb.grant(t)
	sb.control(t, "expire-tokens", "")
	if w := sb.whoami(t, tok.AccessToken); w.status != http.StatusUnauthorized {
		t.Errorf("whoami with an expired token = %d; want 401", w.status)
	}
	t2, err := refresh(c, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh after expiry: %v", err)
	}
	if w := sb.whoami(t, t2.AccessToken); w.status != http.StatusOK {
		t.Errorf("whoami with a token refreshed after expiry = %d; want 200", w.status)
	}
}

func TestControlReduceScopes(t *testing.T) {
	sb := start(t, Options{})
	c, tok := sb.grant(t)
	sb.control(t, "reduce-scopes", `{"remove":["analytics.write"]}`)
	want := "openid offline analytics.read"
	if w := sb.whoami(t, tok.AccessToken); w.body["scope"] != want {
		t.Errorf("whoami scope of an existing token = %q; want %q", w.body["scope"], want)
	}
	t2, err := refresh(c, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if got := t2.Extra("scope"); got != want {
		t.Errorf("refresh response scope = %q; want %q", got, want)
	}
	_, t3 := sb.grant(t)
	if got := t3.Extra("scope"); got != want {
		t.Errorf("new grant scope = %q; want %q", got, want)
	}
	sb.control(t, "reduce-scopes", `{"remove":[]}`)
	if w := sb.whoami(t, t2.AccessToken); w.body["scope"] != "openid offline analytics.read analytics.write" {
		t.Errorf("whoami scope after undoing the reduction = %q; want all back", w.body["scope"])
	}
}

func TestControlUserAndLifetimes(t *testing.T) {
	sb := start(t, Options{})
	got := sb.control(t, "state", `{"user":"bruno@example.com","accessTtlMs":2000,"refreshTtlMs":60000}`)
	if got["user"] != "bruno@example.com" || got["accessTtlMs"] != 2000.0 || got["refreshTtlMs"] != 60000.0 {
		t.Errorf("state = %v; want the new user and lifetimes", got)
	}
	_, tok := sb.grant(t)
	if left := time.Until(tok.Expiry); left <= 0 || left > 3*time.Second {
		t.Errorf("access token expires in %v; want about 2s", left)
	}
	if w := sb.whoami(t, tok.AccessToken); w.body["email"] != "bruno@example.com" {
		t.Errorf("whoami email = %q; want the new user", w.body["email"])
	}
	sb.control(t, "reset", "")
	got = sb.control(t, "state", "")
	if got["user"] != DefaultUser || got["accessTtlMs"] != float64(time.Hour.Milliseconds()) {
		t.Errorf("state after reset = %v; want the defaults", got)
	}
}

func TestOutageAndSlowMode(t *testing.T) {
	sb := start(t, Options{})
	_, tok := sb.grant(t)
	sb.control(t, "state", `{"outage":true,"slowMs":1}`)
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/authorize", "/token", "/whoami", "/api/whoami"} {
		resp, err := http.Get(sb.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s during an outage = %d Retry-After %q; want 503 with Retry-After", path, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if got := sb.control(t, "state", `{"outage":false}`); got["slowMs"] != 1.0 {
		t.Errorf("state slowMs = %v; want 1", got["slowMs"])
	}
	if w := sb.whoami(t, tok.AccessToken); w.status != http.StatusOK {
		t.Errorf("whoami after the outage = %d; want 200", w.status)
	}
}

func TestCounters(t *testing.T) {
	sb := start(t, Options{})
	c, tok := sb.grant(t)
	refresh(c, tok.RefreshToken)
	sb.whoami(t, tok.AccessToken)
	want := Counters{Token: map[string]int{"authorization_code": 1, "refresh_token": 1}, Authorize: 1, WhoAmI: 1}
	if got := sb.Counters(); !equalCounters(got, want) {
		t.Errorf("Counters() = %+v; want %+v", got, want)
	}
	got := sb.control(t, "counters", "")
	if tr := got["tokenRequests"].(map[string]any); tr["refresh_token"] != 1.0 || got["authorizeRequests"] != 1.0 {
		t.Errorf("/control/counters = %v; want one refresh and one authorization", got)
	}
	if tr := sb.control(t, "state", "")["tokenRequests"].(map[string]any); tr["refresh_token"] != 1.0 {
		t.Errorf("state tokenRequests = %v; want one refresh", tr)
	}
	sb.control(t, "reset", "")
	if got := sb.Counters(); !equalCounters(got, Counters{Token: map[string]int{}}) {
		t.Errorf("Counters() after reset = %+v; want zero", got)
	}
}

func equalCounters(a, b Counters) bool {
	return maps.Equal(a.Token, b.Token) && a.Authorize == b.Authorize && a.Revoke == b.Revoke && a.WhoAmI == b.WhoAmI && a.APIWhoAmI == b.APIWhoAmI &&
		a.RefreshGrace == b.RefreshGrace && a.RefreshReuse == b.RefreshReuse
}

func TestAPIKeyWhoami(t *testing.T) {
	sb := start(t, Options{})
	call := func(header, value string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, sb.URL+"/api/whoami", nil)
		if header != "" {
			req.Header.Set(header, value)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	steps := []struct {
		name, control  string
		header, value  string
		status         int
		account, scope string
	}{
		{"unknown key", "", "X-API-Key", "k1", 401, "", ""},
		{"X-API-Key", `{"keys":{"k1":"ops@example.com"}}`, "X-API-Key", "k1", 200, "ops@example.com", "read"},
		{"Bearer", "", "Authorization", "Bearer k1", 200, "ops@example.com", "read"},
		{"no key", "", "", "", 401, "", ""},
		{"scopes", `{"set":{"k2":{"account":"ci@example.com","scopes":["read","write"]}}}`, "X-API-Key", "k2", 200, "ci@example.com", "read write"},
		{"rotated away", `{"revoke":["k1"],"set":{"k3":"ops@example.com"}}`, "X-API-Key", "k1", 401, "", ""},
		{"rotated in", "", "X-API-Key", "k3", 200, "ops@example.com", "read"},
		{"replaced", `{"keys":{}}`, "X-API-Key", "k3", 401, "", ""},
	}
	for _, st := range steps {
		if st.control != "" {
			sb.control(t, "api-keys", st.control)
		}
		status, body := call(st.header, st.value)
		if status != st.status {
			t.Errorf("%s: status %d; want %d", st.name, status, st.status)
			continue
		}
		if st.status != 200 {
			if body["error"] != "invalid_api_key" {
				t.Errorf("%s: body %v; want error invalid_api_key", st.name, body)
			}
			continue
		}
		var scopes []string
		for _, s := range body["scopes"].([]any) {
			scopes = append(scopes, s.(string))
		}
		if body["account"] != st.account || strings.Join(scopes, " ") != st.scope {
			t.Errorf("%s: body %v; want account %s scopes %q", st.name, body, st.account, st.scope)
		}
	}
}

func TestControlGuards(t *testing.T) {
	sb := start(t, Options{})
	h := sb.Handler()
	for _, tc := range []struct {
		name, method, path, body, remote string
		want                             int
	}{
		{"remote client", http.MethodPost, "/control/reset", "", "203.0.113.7:5555", http.StatusForbidden},
		{"IPv6 loopback", http.MethodPost, "/control/reset", "", "[::1]:5555", http.StatusOK},
		{"GET on an action", http.MethodGet, "/control/expire-tokens", "", "127.0.0.1:5555", http.StatusMethodNotAllowed},
		{"unknown field", http.MethodPost, "/control/state", `{"deny_next":true}`, "127.0.0.1:5555", http.StatusBadRequest},
		{"negative lifetime", http.MethodPost, "/control/state", `{"accessTtlMs":-1}`, "127.0.0.1:5555", http.StatusBadRequest},
		{"negative grace", http.MethodPost, "/control/state", `{"refreshGraceMs":-1}`, "127.0.0.1:5555", http.StatusBadRequest},
		{"negative reply delay", http.MethodPost, "/control/state", `{"replyDelayMs":-1}`, "127.0.0.1:5555", http.StatusBadRequest},
		{"empty user", http.MethodPost, "/control/state", `{"user":""}`, "127.0.0.1:5555", http.StatusBadRequest},
		{"state read", http.MethodGet, "/control/state", "", "127.0.0.1:5555", http.StatusOK},
		{"unknown endpoint", http.MethodPost, "/control/nope", "", "127.0.0.1:5555", http.StatusNotFound},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		req.RemoteAddr = tc.remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: %s %s = %d; want %d", tc.name, tc.method, tc.path, rec.Code, tc.want)
		}
	}
}

func TestMetadata(t *testing.T) {
	sb := start(t, Options{})
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		resp, err := http.Get(sb.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var md struct {
			Issuer, AuthorizationEndpoint, TokenEndpoint, RevocationEndpoint, UserinfoEndpoint string
			CodeChallengeMethods                                                               []string `json:"code_challenge_methods_supported"`
			IssParameter                                                                       bool     `json:"authorization_response_iss_parameter_supported"`
			GrantTypes                                                                         []string `json:"grant_types_supported"`
		}
		json.NewDecoder(resp.Body).Decode(&md)
		resp.Body.Close()
		if md.Issuer != sb.URL {
			t.Errorf("%s issuer = %q; want exactly %q", path, md.Issuer, sb.URL)
		}
		if !slices.Equal(md.CodeChallengeMethods, []string{"S256"}) || !md.IssParameter {
			t.Errorf("%s: challenge methods %v, iss parameter %t; want [S256], true", path, md.CodeChallengeMethods, md.IssParameter)
		}
		if !slices.Equal(md.GrantTypes, []string{"authorization_code", "refresh_token"}) {
			t.Errorf("%s grant types = %v", path, md.GrantTypes)
		}
	}
}

func TestMetadataFieldNames(t *testing.T) {
	sb := start(t, Options{})
	resp, err := http.Get(sb.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md map[string]any
	json.NewDecoder(resp.Body).Decode(&md)
	for field, want := range map[string]string{
		"authorization_endpoint": sb.URL + "/authorize",
		"token_endpoint":         sb.URL + "/token",
		"revocation_endpoint":    sb.URL + "/revoke",
		"userinfo_endpoint":      sb.URL + "/whoami",
	} {
		if md[field] != want {
			t.Errorf("%s = %v; want %s", field, md[field], want)
		}
	}
}

func TestNew(t *testing.T) {
	if _, err := New(Options{}); !errors.Is(err, ErrNoIssuer) {
		t.Errorf("New without an issuer: %v; want ErrNoIssuer", err)
	}
	s, err := New(Options{Issuer: "http://127.0.0.1:9/"})
	if err != nil || s.Issuer() != "http://127.0.0.1:9" {
		t.Errorf("Issuer() = %q, %v; want the trailing slash trimmed", s.Issuer(), err)
	}
}

func TestCustomClients(t *testing.T) {
	sb := start(t, Options{Clients: []Client{{ID: "other"}}})
	c := sb.config("other", "", redirect)
	v := oauth2.GenerateVerifier()
	if q := sb.authorize(t, c, oauth2.S256ChallengeOption(v)); q.Get("code") == "" {
		t.Errorf("custom client refused: %v", q)
	}
	resp, err := noRedirect().Get(sb.config(PublicClient, "", redirect).AuthCodeURL("state-123456789", oauth2.S256ChallengeOption(v)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// fosite cannot trust the redirect URI of an unknown client, so it answers in place.
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Location") != "" {
		t.Errorf("default client with custom clients configured: %d %q; want 401 without a redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestConcurrentUse gives the race detector something to chew on: token
// traffic while control changes lifetimes, scopes and counters.
func TestConcurrentUse(t *testing.T) {
	sb := start(t, Options{})
	c, tok := sb.grant(t)
	// Not sb.control: it calls t.Fatal, which only the test goroutine may.
	post := func(path, body string) {
		resp, err := http.Post(sb.URL+"/control/"+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				req, _ := http.NewRequest(http.MethodGet, sb.URL+"/whoami", nil)
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
				post("state", `{"accessTtlMs":60000}`)
				post("reduce-scopes", `{"remove":["openid"]}`)
				post("counters", "")
			}
		})
	}
	wg.Go(func() {
		rt := tok.RefreshToken
		for range 5 {
			next, err := refresh(c, rt)
			if err != nil {
				t.Errorf("refresh: %v", err)
				return
			}
			rt = next.RefreshToken
		}
	})
	wg.Wait()
}

// fakeClock is the grace window's clock; it moves only when told.
type fakeClock struct{ now atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.now.Store(time.Now().UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.now.Add(int64(d)) }

// TestRefreshGraceWindow replays a rotated-out refresh token (the client
// crashed before saving its successor) at various points of the window.
func TestRefreshGraceWindow(t *testing.T) {
	for _, tc := range []struct {
		name      string
		graceMs   int
		replayAt  time.Duration // after the rotation
		wantGrace bool
	}{
		{"strict: no grace", 0, 0, false},
		{"right after the rotation", 30000, 0, true},
		{"just inside the window", 30000, 30*time.Second - time.Millisecond, true},
		{"at the window's end", 30000, 30 * time.Second, false},
		{"after the window", 30000, time.Minute, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			sb := start(t, Options{Now: clk.Now})
			sb.control(t, "state", fmt.Sprintf(`{"refreshGraceMs":%d}`, tc.graceMs))
			c, tok := sb.grant(t)
			lost, err := refresh(c, tok.RefreshToken)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			clk.advance(tc.replayAt)
			again, err := refresh(c, tok.RefreshToken)
			if !tc.wantGrace {
				if errorCode(err) != "invalid_grant" {
					t.Fatalf("replay: %v; want invalid_grant", err)
				}
				if _, err := refresh(c, lost.RefreshToken); errorCode(err) != "invalid_grant" {
					t.Errorf("successor after a replay: %v; want invalid_grant (family revoked)", err)
				}
				if w := sb.whoami(t, lost.AccessToken); w.status != http.StatusUnauthorized {
					t.Errorf("whoami with the family's access token = %d; want 401", w.status)
				}
				if got := sb.Counters(); got.RefreshReuse != 2 || got.RefreshGrace != 0 {
					t.Errorf("counters reuse %d grace %d; want 2 and 0", got.RefreshReuse, got.RefreshGrace)
				}
				return
			}
			if err != nil {
				t.Fatalf("replay within grace: %v; want a fresh pair", err)
			}
			if again.RefreshToken == "" || again.RefreshToken == tok.RefreshToken || again.RefreshToken == lost.RefreshToken ||
				again.AccessToken == lost.AccessToken {
				t.Fatalf("replay within grace got the same tokens; want a fresh pair")
			}
			if w := sb.whoami(t, again.AccessToken); w.status != http.StatusOK || w.body["email"] != DefaultUser {
				t.Errorf("whoami with the grace pair = %d %v; want 200 as %s", w.status, w.body, DefaultUser)
			}
			// The family lives on: the grace pair keeps rotating.
			next, err := refresh(c, again.RefreshToken)
			if err != nil {
				t.Fatalf("refresh with the grace pair's token: %v; want the family alive", err)
			}
			if w := sb.whoami(t, next.AccessToken); w.status != http.StatusOK {
				t.Errorf("whoami after rotating the grace pair = %d; want 200", w.status)
			}
			if got := sb.Counters(); got.RefreshReuse != 0 || got.RefreshGrace != 1 {
				t.Errorf("counters reuse %d grace %d; want 0 and 1", got.RefreshReuse, got.RefreshGrace)
			}
		})
	}
}

// TestRefreshGraceRunsFromTheFirstRotation: redeeming within the window
// does not extend it.
func TestRefreshGraceRunsFromTheFirstRotation(t *testing.T) {
	clk := newFakeClock()
	sb := start(t, Options{Now: clk.Now})
	sb.control(t, "state", `{"refreshGraceMs":30000}`)
	c, tok := sb.grant(t)
	if _, err := refresh(c, tok.RefreshToken); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	clk.advance(20 * time.Second)
	if _, err := refresh(c, tok.RefreshToken); err != nil {
		t.Fatalf("replay at 20s of 30s: %v; want a fresh pair", err)
	}
	clk.advance(20 * time.Second)
	if _, err := refresh(c, tok.RefreshToken); errorCode(err) != "invalid_grant" {
		t.Errorf("replay at 40s of 30s: %v; want invalid_grant", err)
	}
}

// TestRefreshGraceEndsWithTheFamily: a revoked grant stays revoked, however
// recently its old refresh token was rotated.
func TestRefreshGraceEndsWithTheFamily(t *testing.T) {
	for _, tc := range []struct {
		name   string
		revoke func(t *testing.T, sb *sandbox, current *oauth2.Token)
	}{
		{"client revoked the current refresh token", func(t *testing.T, sb *sandbox, current *oauth2.Token) {
			if got := revoke(t, sb, current.RefreshToken, "refresh_token"); got != http.StatusOK {
				t.Fatalf("revoke = %d; want 200", got)
			}
		}},
		{"admin revoked the user", func(t *testing.T, sb *sandbox, _ *oauth2.Token) {
			sb.control(t, "revoke-user", `{}`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := start(t, Options{})
			sb.control(t, "state", `{"refreshGraceMs":60000}`)
			c, tok := sb.grant(t)
			current, err := refresh(c, tok.RefreshToken)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			tc.revoke(t, sb, current)
			if _, err := refresh(c, tok.RefreshToken); errorCode(err) != "invalid_grant" {
				t.Errorf("replay within grace after revocation: %v; want invalid_grant", err)
			}
			if got := sb.Counters().RefreshGrace; got != 0 {
				t.Errorf("grace redemptions %d; want 0", got)
			}
		})
	}
}

// TestReplyDelayCommitsBeforeReplying drops the connection while the token
// endpoint waits to answer a refresh: the rotation has happened all the
// same, so the old token is a replay — redeemed within grace, reuse without.
func TestReplyDelayCommitsBeforeReplying(t *testing.T) {
	for _, tc := range []struct {
		name      string
		graceMs   int
		wantGrace bool
	}{
		{"with grace the old token still works", 60000, true},
		{"without grace the old token is reuse", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Tell when a /token handler returns, to see it stop waiting
			// once its client is gone.
			handled := make(chan struct{}, 1)
			sb := startWrapped(t, Options{}, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					h.ServeHTTP(w, r)
					if r.URL.Path == "/token" {
						handled <- struct{}{}
					}
				})
			})
			c, tok := sb.grant(t)
			<-handled
			// A delay far beyond the test's patience: only a dropped
			// connection ends the wait.
			sb.control(t, "state", fmt.Sprintf(`{"refreshGraceMs":%d,"replyDelayMs":600000}`, tc.graceMs))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res := make(chan error, 1)
			go func() {
				_, err := c.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
				res <- err
			}()
			// The counter moves under the store lock, before the rotation:
			// from here on the next request waits for that rotation.
			waitFor(t, func() bool { return sb.Counters().Token["refresh_token"] == 1 })
			sb.control(t, "state", `{"replyDelayMs":0}`)
			cancel()
			if err := <-res; err == nil {
				t.Fatalf("refresh with a dropped connection succeeded; want an error")
			}
			select {
			case <-handled:
			case <-time.After(10 * time.Second):
				t.Fatalf("token handler still waiting 10s after its client left; want it to stop")
			}
			again, err := refresh(c, tok.RefreshToken)
			<-handled
			if got := sb.Counters(); got.RefreshGrace != b2i(tc.wantGrace) || got.RefreshReuse != b2i(!tc.wantGrace) {
				t.Errorf("counters grace %d reuse %d; want %d and %d (the first request rotated)",
					got.RefreshGrace, got.RefreshReuse, b2i(tc.wantGrace), b2i(!tc.wantGrace))
			}
			if !tc.wantGrace {
				if errorCode(err) != "invalid_grant" {
					t.Errorf("old token after a dropped reply: %v; want invalid_grant", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("old token after a dropped reply: %v; want a fresh pair", err)
			}
			if w := sb.whoami(t, again.AccessToken); w.status != http.StatusOK {
				t.Errorf("whoami with the grace pair = %d; want 200", w.status)
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// waitFor polls cond; the deadline is only a safety net.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within 10s")
		}
	}
}

func TestControlGraceAndReplyDelay(t *testing.T) {
	sb := start(t, Options{})
	c, tok := sb.grant(t)
	got := sb.control(t, "state", `{"refreshGraceMs":60000,"replyDelayMs":50}`)
	if got["refreshGraceMs"] != 60000.0 || got["replyDelayMs"] != 50.0 {
		t.Errorf("state = %v; want refreshGraceMs 60000 and replyDelayMs 50", got)
	}
	if _, err := refresh(c, tok.RefreshToken); err != nil {
		t.Errorf("refresh with a reply delay: %v; want the tokens, late", err)
	}
	sb.control(t, "reset", "")
	if got = sb.control(t, "state", ""); got["refreshGraceMs"] != 0.0 || got["replyDelayMs"] != 0.0 {
		t.Errorf("state after reset = %v; want refreshGraceMs 0 and replyDelayMs 0", got)
	}
}
