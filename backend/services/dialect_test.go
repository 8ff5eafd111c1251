package services

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relink/backend/catalog"
	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/oauth"
)

// dialectFixture is one documented failure of a provider, in the format the
// provider twins serve too (backend/catalog/testdata/dialects).
type dialectFixture struct {
	Name    string            `json:"name"`
	Source  string            `json:"source"`
	At      string            `json:"at"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Want    struct {
		Status  string `json:"status"`
		Cause   string `json:"cause"`
		Problem string `json:"problem"`
	} `json:"want"`
}

func loadDialectFixtures(t *testing.T) map[string][]dialectFixture {
	t.Helper()
	files, err := filepath.Glob("../catalog/testdata/dialects/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dialect fixtures: %v", err)
	}
	out := map[string][]dialectFixture{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fs []dialectFixture
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = fs
	}
	return out
}

// serve answers every request with the fixture, like the provider did.
func serve(t *testing.T, f dialectFixture) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := "text/html; charset=utf-8"
		switch b := strings.TrimSpace(f.Body); {
		case json.Valid([]byte(b)) && b != "":
			ct = "application/json"
		case strings.HasPrefix(b, "<?xml"):
			ct = "application/xml"
		case !strings.HasPrefix(b, "<"):
			ct = "text/plain; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		for k, v := range f.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(f.Status)
		w.Write([]byte(f.Body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// readFixture sends the fixture through the same code the app runs for
// that place: the probe, the token endpoint (x/oauth2), discovery or
// revocation, then the one reading (catalogue rules, generic classifier).
func readFixture(t *testing.T, p catalog.Provider, f dialectFixture) health.Verdict {
	t.Helper()
	srv := serve(t, f)
	ctx := context.Background()
	client := oauth.NewHTTPClient(0)
	cfg := oauth.Config{ClientID: "client", ClientSecret: "not-a-secret", TokenURL: srv.URL + "/token", RevokeURL: srv.URL + "/revoke"}
	var err error
	switch f.At {
	case catalog.AtProbe, catalog.AtData:
		o := health.ProbeHTTP(ctx, health.NewProbeClient(0), health.HTTPRequest{URL: srv.URL + "/me"})
		o.At = f.At
		return readProbe(p, o)
	case catalog.AtToken:
		_, err = oauth.Refresh(ctx, client, cfg, "refresh")
	case catalog.AtDiscovery:
		_, err = oauth.Discover(ctx, client, srv.URL)
	case catalog.AtRevoke:
		err = oauth.Revoke(ctx, client, cfg, "refresh", "refresh_token")
	default:
		t.Fatalf("unknown place %q", f.At)
	}
	if err == nil {
		t.Fatalf("the %s answer was taken as a success", f.At)
	}
	return readFailure(p, err)
}

// TestDialectFixtures runs every documented failure of every provider
// through the classification the app uses and checks what the user is told.
func TestDialectFixtures(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	for id, fs := range loadDialectFixtures(t) {
		p, ok := cat.Get(id)
		if !ok {
			t.Errorf("fixtures for unknown provider %q", id)
			continue
		}
		for _, f := range fs {
			t.Run(id+"/"+f.Name, func(t *testing.T) {
				v := readFixture(t, p, f)
				got := [3]string{string(v.Status), string(v.Cause), ""}
				if v.Problem != nil {
					got[2] = v.Problem.Code
				}
				if want := [3]string{f.Want.Status, f.Want.Cause, f.Want.Problem}; got != want {
					t.Errorf("%s %d %s: got %v; want %v (source %s)", f.At, f.Status, f.Body, got, want, f.Source)
				}
			})
		}
	}
}

// TestFixedElsewhereLinksToTheFix: the view's help link for a failure new
// credentials cannot fix is the page where the fix is made.
func TestFixedElsewhereLinksToTheFix(t *testing.T) {
	s, _, _ := newService(t)
	g, _ := s.catalog.Get("google-analytics")
	for _, tc := range []struct {
		name    string
		in      integration.Integration
		wantURL string
	}{
		{"rule names the admin page", integration.Integration{Provider: "google-ads", Status: integration.StatusError, Cause: integration.CauseAccountChange,
			Problem: integration.NewProblem("problem.api_disabled", catalog.HelpParam, "https://ads.google.com/aw/apicenter")}, "https://ads.google.com/aw/apicenter"},
		{"OAuth client without a page falls back to the docs", integration.Integration{Provider: "google-analytics", Status: integration.StatusError, Cause: integration.CauseLocalProblem,
			Problem: integration.NewProblem("problem.oauth_client_invalid")}, g.DocsURL()},
		{"a reauthorization keeps the cause's page", integration.Integration{Provider: "google-analytics", Status: integration.StatusNeedsReauth, Cause: integration.CauseAccessRevoked,
			Problem: integration.NewProblem("problem.access_revoked", catalog.HelpParam, "https://elsewhere.example.com")}, g.HelpURL(integration.CauseAccessRevoked)},
	} {
		if got := s.View(tc.in).HelpURL; got != tc.wantURL {
			t.Errorf("%s: HelpURL = %q; want %q", tc.name, got, tc.wantURL)
		}
	}
}
