package twins

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"relink/backend/catalog"
	"relink/backend/health"
	"relink/backend/integration"
)

// twinOf mounts a generic twin for every OAuth and API-key provider.
func twinOf(t *testing.T) (*Rig, *Generic, map[string]Setup) {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	setups := map[string]Setup{}
	var list []Setup
	for _, p := range cat.List() {
		if p.Kind == integration.KindDatabase {
			continue
		}
		s, err := NewSetup(p)
		if err != nil {
			t.Fatal(err)
		}
		setups[p.ID] = s
		list = append(list, s)
	}
	g, err := NewGeneric(nil, list...)
	if err != nil {
		t.Fatal(err)
	}
	rig := Start(t)
	rig.Mount(g)
	return rig, g, setups
}

// noFollow stops at the redirect back to the client, as a test reads it.
func noFollow(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// redirectOf is the redirect URI registered for s, else a loopback one
// on the host the provider wants.
func redirectOf(s Setup) string {
	if s.RedirectURI != "" {
		return s.RedirectURI
	}
	host := "127.0.0.1"
	if x, _, err := readExtras(s.Provider); err == nil && x.loopbackHost() != "" {
		host = x.loopbackHost()
	}
	return "http://" + host + ":53682/callback"
}

func oauthConfig(t *testing.T, s Setup, redirect string) *oauth2.Config {
	t.Helper()
	eps, err := s.Provider.OAuthEndpoints(s.Settings)
	if err != nil {
		t.Fatal(err)
	}
	if eps.Discover {
		eps.AuthURL, eps.TokenURL = eps.Issuer+"/authorize", eps.Issuer+"/token"
	}
	style := oauth2.AuthStyleInParams
	if eps.HeaderAuth {
		style = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{ClientID: s.Settings["client_id"], ClientSecret: s.Secret, RedirectURL: redirect, Scopes: eps.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: eps.AuthURL, TokenURL: eps.TokenURL, AuthStyle: style}}
}

// authorize runs the browser's part: it returns the redirect the twin
// answers with.
func authorize(t *testing.T, c *http.Client, cfg *oauth2.Config, opts ...oauth2.AuthCodeOption) (*http.Response, url.Values) {
	t.Helper()
	resp, err := noFollow(c).Get(cfg.AuthCodeURL("st4te", opts...))
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.String() == "" {
		return resp, nil
	}
	return resp, loc.Query()
}

func probe(t *testing.T, c *http.Client, s Setup, cred string) health.Observation {
	t.Helper()
	pr, err := s.Provider.ProbeRequest(s.Settings)
	if err != nil {
		t.Fatal(err)
	}
	return health.ProbeHTTP(context.Background(), c, pr.WithCredential(cred))
}

// TestGenericTwinServesEveryProvider runs each provider's happy path the
// way Relink reads it: authorization with PKCE, code exchange, the probe
// (account where accountPath looks), refresh and revocation; an API key
// is probed with the key.
func TestGenericTwinServesEveryProvider(t *testing.T) {
	rig, _, setups := twinOf(t)
	c := rig.Client()
	for id, s := range setups {
		t.Run(id, func(t *testing.T) {
			if s.Provider.OAuth == nil {
				if o := probe(t, c, s, s.Secret); o.StatusCode != 200 || o.Account != s.Account {
					t.Fatalf("probe with the key = %d %q %v; want 200 as %q", o.StatusCode, o.Account, o.Err, s.Account)
				}
				if o := probe(t, c, s, "wrong-key"); o.StatusCode != 401 {
					t.Errorf("probe with a wrong key = %d; want 401", o.StatusCode)
				}
				return
			}
			cfg := oauthConfig(t, s, redirectOf(s))
			verifier := oauth2.GenerateVerifier()
			_, q := authorize(t, c, cfg, oauth2.S256ChallengeOption(verifier))
			if q.Get("state") != "st4te" || q.Get("code") == "" {
				t.Fatalf("authorization redirect = %v; want a code and the state", q)
			}
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, c)
			if _, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption("not-the-verifier")); err == nil && s.Provider.OAuth.PKCE {
				t.Errorf("exchange with a wrong verifier succeeded")
			}
			_, q = authorize(t, c, cfg, oauth2.S256ChallengeOption(verifier))
			tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			if o := probe(t, c, s, tok.AccessToken); o.StatusCode != 200 || o.Account != s.Account {
				t.Fatalf("probe = %d %q %v; want 200 as %s", o.StatusCode, o.Account, o.Err, s.Account)
			}
			fresh, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
			if err != nil || fresh.AccessToken == tok.AccessToken {
				t.Fatalf("refresh = %v; want a new access token", err)
			}
			if s.Provider.OAuth.RevokeURL == "" {
				return
			}
			eps, _ := s.Provider.OAuthEndpoints(s.Settings)
			if eps.Discover {
				eps.RevokeURL = eps.Issuer + "/revoke"
			}
			resp, err := c.PostForm(eps.RevokeURL, url.Values{"token": {fresh.RefreshToken}, "client_id": {cfg.ClientID}})
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("revoke = %v %v", resp, err)
			}
			if o := probe(t, c, s, fresh.AccessToken); o.StatusCode != 401 {
				t.Errorf("probe after revocation = %d; want 401", o.StatusCode)
			}
		})
	}
}

func TestGenericTwinEnforcesTheAuthorizationRequest(t *testing.T) {
	rig, g, setups := twinOf(t)
	c := rig.Client()
	// Google accepts any loopback port (no redirect URI registered).
	s := setups["google-analytics"]
	cfg := oauthConfig(t, s, "http://127.0.0.1:53682/callback")
	verifier := oauth2.GenerateVerifier()

	if _, q := authorize(t, c, cfg); q.Get("error") != "invalid_request" {
		t.Errorf("without PKCE: redirect %v; want error=invalid_request", q)
	}
	if _, q := authorize(t, c, cfg, oauth2.SetAuthURLParam("code_challenge", "x"), oauth2.SetAuthURLParam("code_challenge_method", "plain")); q.Get("error") != "invalid_request" {
		t.Errorf("with PKCE plain: redirect %v; want error=invalid_request", q)
	}
	g.SetRedirectURI("google-analytics", "http://localhost:53682/callback")
	if resp, q := authorize(t, c, cfg, oauth2.S256ChallengeOption(verifier)); resp.StatusCode != 400 || q != nil {
		t.Errorf("unregistered redirect URI: %d with redirect %v; want 400 and no redirect", resp.StatusCode, q)
	}
	cfg.RedirectURL = "http://localhost:53682/callback"
	if _, q := authorize(t, c, cfg, oauth2.S256ChallengeOption(verifier)); q.Get("code") == "" {
		t.Errorf("registered redirect URI: redirect %v; want a code", q)
	}
	// Google Analytics and Google Ads share endpoints: the client id says
	// which one is asked.
	g.Switch("google-ads", &Case{At: atAuthorize, Status: 500})
	if _, q := authorize(t, c, cfg, oauth2.S256ChallengeOption(verifier)); q.Get("code") == "" {
		t.Errorf("Google Analytics authorization while Google Ads fails: %v; want a code", q)
	}
}

func TestGenericTwinSwitchesIntoCases(t *testing.T) {
	rig, g, setups := twinOf(t)
	c := rig.Client()
	s := setups["stripe"]
	rate := &Case{Name: "rate limited", At: AtProbe, Status: 429, Headers: map[string]string{"Retry-After": "7"}, Body: `{"error":{"type":"rate_limit_error"}}`}
	g.Switch("stripe", rate)
	o := probe(t, c, s, s.Secret)
	if o.StatusCode != 429 || o.RetryAfter != "7" {
		t.Errorf("switched into %q: %d Retry-After %q; want 429 and 7", rate.Name, o.StatusCode, o.RetryAfter)
	}
	if got := g.Hits("stripe", AtProbe); got != 1 {
		t.Errorf("Hits(stripe, probe) = %d; want 1", got)
	}
	g.Switch("stripe", nil)
	if o := probe(t, c, s, s.Secret); o.StatusCode != 200 {
		t.Errorf("healthy again: %d; want 200", o.StatusCode)
	}

	// A token case answers the refresh.
	sf := setups["salesforce"]
	cfg := oauthConfig(t, sf, redirectOf(sf))
	verifier := oauth2.GenerateVerifier()
	_, q := authorize(t, c, cfg, oauth2.S256ChallengeOption(verifier))
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, c)
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	g.Switch("salesforce", &Case{At: AtToken, Status: 400, Body: `{"error":"invalid_grant","error_description":"expired access/refresh token"}`})
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
	if err == nil || !strings.Contains(err.Error(), "expired access/refresh token") {
		t.Errorf("refresh in a token case = %v; want the case's answer", err)
	}
}

func TestPlace(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"email", `{"email":"a"}`},
		{"user.email", `{"user":{"email":"a"}}`},
		{"0.tenantName", `[{"tenantName":"a"}]`},
		{"data.0.attributes.x", `{"data":[{"attributes":{"x":"a"}}]}`},
	} {
		b, _ := jsonString(place(nil, strings.Split(tc.path, "."), "a"))
		if b != tc.want {
			t.Errorf("place(%s) = %s; want %s", tc.path, b, tc.want)
		}
	}
}

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// TestFixturesLoad reads the catalogue's dialect fixtures: every case is
// well formed and names a provider of the catalogue.
func TestFixturesLoad(t *testing.T) {
	cases, err := LoadCases("../../catalog/testdata/dialects")
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := catalog.Load()
	for _, id := range Providers(cases) {
		if _, ok := cat.Get(id); !ok {
			t.Errorf("fixtures for %q, which is not a catalogue provider", id)
		}
	}
}

// TestRegisteredRedirects: a provider whose app registers one redirect URI
// gets one (the field's default, a fixed port moved to a free one, or an
// https relay page the twin hosts), and the twin sends the browser there
// and nowhere else.
func TestRegisteredRedirects(t *testing.T) {
	field := func(def string) []catalog.Field {
		return []catalog.Field{{Key: "client_id", Required: true, Kind: "text"}, {Key: "client_secret", Secret: true, Kind: "password"},
			{Key: fieldRedirectURI, Kind: "text", Default: def}, {Key: fieldRelayPort, Kind: "number"}}
	}
	provider := func(id, def string) catalog.Provider {
		return catalog.Provider{ID: id, Kind: integration.KindOAuth2, Fields: field(def),
			OAuth: &catalog.OAuth{AuthURL: "https://login." + id + ".example/authorize", TokenURL: "https://login." + id + ".example/token",
				PKCE: true, ClientSecret: "required", DefaultScopes: []string{"read"}},
			Probe: &catalog.Probe{Method: "GET", URL: "https://api." + id + ".example/me", Auth: "bearer", AccountPath: "email"}}
	}
	var setups []Setup
	for _, p := range []catalog.Provider{provider("scheme", "io.relink.app:/callback"), provider("fixed", "http://localhost:53682/callback"), provider("relay", "")} {
		s, err := NewSetup(p)
		if err != nil {
			t.Fatal(err)
		}
		setups = append(setups, s)
	}
	if got := setups[0].RedirectURI; got != "io.relink.app:/callback" {
		t.Errorf("scheme: registered %q; want the field's default", got)
	}
	if got := setups[1].RedirectURI; !strings.HasPrefix(got, "http://localhost:") || strings.Contains(got, ":53682/") {
		t.Errorf("fixed: registered %q; want localhost on a port of its own", got)
	}
	relay := setups[2]
	if !strings.HasPrefix(relay.RedirectURI, "https://relay.example.com/") || relay.Settings[fieldRelayPort] == "" ||
		relay.Relay != "http://localhost:"+relay.Settings[fieldRelayPort]+"/callback" {
		t.Fatalf("relay: registered %q, relay %q, port %q; want an https page forwarding to the relay port", relay.RedirectURI, relay.Relay, relay.Settings[fieldRelayPort])
	}
	g, err := NewGeneric(nil, setups...)
	if err != nil {
		t.Fatal(err)
	}
	rig := Start(t)
	rig.Mount(g)
	c := rig.Client()
	verifier := oauth2.S256ChallengeOption(oauth2.GenerateVerifier())
	for _, s := range setups {
		if resp, q := authorize(t, c, oauthConfig(t, s, "http://127.0.0.1:1/callback"), verifier); resp.StatusCode != 400 || q != nil {
			t.Errorf("%s: an unregistered redirect got %d %v; want a 400 page", s.Provider.ID, resp.StatusCode, q)
		}
		if _, q := authorize(t, c, oauthConfig(t, s, s.RedirectURI), verifier); q.Get("code") == "" {
			t.Errorf("%s: the registered redirect got %v; want a code", s.Provider.ID, q)
		}
	}
	// The relay page forwards the query to Relink's loopback listener.
	resp, q := authorize(t, c, oauthConfig(t, relay, relay.RedirectURI), verifier)
	loc := resp.Header.Get("Location")
	resp, err = noFollow(c).Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.Header.Get("Location"), relay.Relay+"?"+q.Encode(); got != want {
		t.Errorf("relay page redirects to %q; want %q", got, want)
	}
}

// TestSatisfy: a healthy answer meets each expectation a catalogue entry
// states (the shapes of Xero's connections, Zendesk's user, GA4's account
// summaries).
func TestSatisfy(t *testing.T) {
	kept := map[string]string{"tenant_id": "t-1"}
	for _, tc := range []struct {
		name string
		doc  any
		es   []expect
		want string
	}{
		{"nonEmpty list", map[string]any{}, []expect{{Path: "accountSummaries", Test: "nonEmpty"}}, `{"accountSummaries":[{"id":"1","name":"twin-1"}]}`},
		{"present and oneOf", map[string]any{"user": map[string]any{"email": "a"}}, []expect{{Path: "user.id", Test: "present"}, {Path: "user.role", Test: "oneOf", Values: []string{"admin", "agent"}}},
			`{"user":{"email":"a","id":"1","role":"admin"}}`},
		{"contains a kept value", []any{map[string]any{"tenantName": "a", "tenantId": "t-1"}}, []expect{{Test: "nonEmpty"}, {Test: "contains", Key: "tenantId", Value: "{tenant_id}"}},
			`[{"tenantId":"t-1","tenantName":"a"}]`},
		{"contains, missing", []any{}, []expect{{Test: "contains", Key: "tenantId", Value: "{tenant_id}"}}, `[{"tenantId":"t-1"}]`},
	} {
		got, _ := jsonString(satisfy(tc.doc, tc.es, kept))
		if got != tc.want {
			t.Errorf("%s: satisfy = %s; want %s", tc.name, got, tc.want)
		}
	}
	if got := render("{instance_url}/services/data/{v}/", map[string]string{"instance_url": "https://acme.my.salesforce.com"}, map[string]string{"v": "v62.0"}); got != "https://acme.my.salesforce.com/services/data/v62.0/" {
		t.Errorf("render = %s", got)
	}
}
