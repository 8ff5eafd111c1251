package health

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"relink/backend/integration"
)

func TestProbeHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/me":
			if r.Header.Get("Authorization") != "Bearer good" {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				w.WriteHeader(401)
				return
			}
			w.Header().Set("X-Scopes", "read_orders,read_products")
			io.WriteString(w, `{"user":{"email":"ana@example.com"},"scope":"a b","data":[{"id":7}]}`)
		case "/huge":
			w.Write([]byte(strings.Repeat("x", 10<<20)))
		case "/slow":
			time.Sleep(2 * time.Second)
		case "/redirect":
			http.Redirect(w, r, "https://evil.example/steal", http.StatusFound)
		case "/html":
			io.WriteString(w, "<html>")
		case "/outage":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	client := NewProbeClient(time.Second)
	good := http.Header{"Authorization": {"Bearer good"}}
	for _, tc := range []struct {
		name    string
		req     HTTPRequest
		status  integration.Status
		account string
		scopes  string
	}{
		{"ok json path", HTTPRequest{URL: srv.URL + "/me", Header: good, AccountPath: "user.email", ScopesPath: "scope"}, integration.StatusConnected, "ana@example.com", "a b"},
		{"array path and header scopes", HTTPRequest{URL: srv.URL + "/me", Header: good, AccountPath: "data.0.id", ScopesHeader: "X-Scopes", ScopeSeparator: ","}, integration.StatusConnected, "7", "read_orders read_products"},
		{"bad token", HTTPRequest{URL: srv.URL + "/me"}, integration.StatusNeedsReauth, "", ""},
		{"10 MB body", HTTPRequest{URL: srv.URL + "/huge"}, integration.StatusError, "", ""},
		{"slow", HTTPRequest{URL: srv.URL + "/slow"}, integration.StatusError, "", ""},
		{"redirect to other host", HTTPRequest{URL: srv.URL + "/redirect", Header: good}, integration.StatusError, "", ""},
		{"html instead of json", HTTPRequest{URL: srv.URL + "/html", AccountPath: "email"}, integration.StatusError, "", ""},
		{"outage", HTTPRequest{URL: srv.URL + "/outage"}, integration.StatusError, "", ""},
	} {
		o := ProbeHTTP(context.Background(), client, tc.req)
		v := Classify(o)
		if v.Status != tc.status || o.Account != tc.account || strings.Join(o.GrantedScopes, " ") != tc.scopes {
			t.Errorf("%s: got %s account %q scopes %v (%v); want %s %q %q", tc.name, v.Status, o.Account, o.GrantedScopes, o.Err, tc.status, tc.account, tc.scopes)
		}
	}
}

func TestProbeErrorsNeverCarryTheKey(t *testing.T) {
	o := ProbeHTTP(context.Background(), NewProbeClient(time.Second), HTTPRequest{URL: "http://127.0.0.1:1/x?api_key=sk_test_secret123"})
	if o.Err == nil || strings.Contains(o.Err.Error(), "sk_test_secret123") {
		t.Errorf("got %v; want an error without the key", o.Err)
	}
	if !errors.Is(o.Err, o.Err) || Classify(o).Cause != integration.CauseProviderIssue {
		t.Errorf("classification lost: %v", Classify(o))
	}
}
