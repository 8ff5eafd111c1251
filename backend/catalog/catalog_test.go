package catalog

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"relink/backend/integration"
)

func load(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func get(t testing.TB, c *Catalog, id string) Provider {
	t.Helper()
	p, ok := c.Get(id)
	if !ok {
		t.Fatalf("Get(%q): missing", id)
	}
	return p
}

// sampleSettings are valid values for the catalog's field keys; a new
// required key without a sample fails TestEveryEntryRenders.
var sampleSettings = map[string]string{
	"client_id": "relink-client.apps.example", "shop": "my-store", "subdomain": "acme", "tenant": "contoso.onmicrosoft.com",
	"email": "admin@example.com", "username": "svc.1a2b.mp-service-account", "project_id": "12345",
	"host": "db.example.com", "database": "analytics", "user": "relink_ro", "schema": "public", "tables": "orders, customers",
	"ssh_host": "bastion.example.com", "ssh_user": "tunnel", "ci_client_id": "194",
	"issuer": "https://id.example.com", "collections": "shop.orders", "authorization_endpoint": "https://id.example.com/authorize",
	"token_endpoint": "https://id.example.com/token", "revocation_endpoint": "https://id.example.com/revoke",
	"scopes": "openid email", "userinfo_url": "https://id.example.com/userinfo",
	"test_url": "https://api.example.com/v1/me", "header_name": "X-Api-Key", "prefix": "Token", "account_path": "user.email",
}

func samplesFor(p Provider) map[string]string {
	in := map[string]string{}
	for _, f := range p.Fields {
		if v, ok := sampleSettings[f.Key]; ok && !f.Secret {
			in[f.Key] = v
		}
	}
	return in
}

func TestEveryEntryLoads(t *testing.T) {
	c := load(t)
	want := []string{"google-analytics", "google-ads", "salesforce", "salesforce-sandbox", "hubspot", "shopify", "microsoft",
		"meta-ads", "quickbooks", "xero", "zendesk", "adobe-analytics", "stripe", "zendesk-token", "mixpanel", "klaviyo",
		"recurly", "postgres", "mysql", "sqlserver", "custom-oauth2", "custom-api-key", "commerce-intelligence", "commerce-intelligence-import",
		// Commerce Intelligence's list (issue 17): every integration it
		// documents has a row here.
		"mixpanel-secret", "mongodb", "mysql-rds", "postgres-rds", "sqlserver-rds",
		"adobe-commerce", "woocommerce", "prestashop", "spree"}
	for _, id := range want {
		if _, ok := c.Get(id); !ok {
			t.Errorf("Get(%q) missing; want it in the catalog", id)
		}
	}
	if got := len(c.List()); got != len(want) {
		t.Errorf("len(List()) = %d; want %d", got, len(want))
	}
}

func TestListOrder(t *testing.T) {
	list := load(t).List()
	rank := func(p Provider) int {
		switch {
		case p.Group == GroupStore:
			return 3
		case p.Group == GroupDatabase:
			return 2
		case p.Custom:
			return 1
		}
		return 0
	}
	for i := 1; i < len(list); i++ {
		a, b := list[i-1], list[i]
		if rank(a) > rank(b) || (rank(a) == rank(b) && strings.ToLower(a.Name) > strings.ToLower(b.Name)) {
			t.Errorf("List order: %s before %s; want SaaS, then custom, then databases, then store platforms, each by name", a.ID, b.ID)
		}
	}
	list[0].ID = "changed"
	if load(t).List()[0].ID == "changed" {
		t.Errorf("List() shares its slice; want a copy")
	}
}

// TestEveryEntryRenders proves every embedded template renders with valid
// tenant input, into an https URL.
func TestEveryEntryRenders(t *testing.T) {
	for _, p := range load(t).List() {
		t.Run(p.ID, func(t *testing.T) {
			for _, f := range p.Fields {
				if _, ok := sampleSettings[f.Key]; !ok && f.Required && !f.Secret && f.Default == "" {
					t.Fatalf("no sample value for field %q; add one to sampleSettings", f.Key)
				}
			}
			settings, err := p.ValidateSettings(samplesFor(p))
			if err != nil {
				t.Fatalf("ValidateSettings(samples) = %v; want nil", err)
			}
			var urls []string
			if p.OAuth != nil {
				e, err := p.OAuthEndpoints(settings)
				if err != nil {
					t.Fatalf("OAuthEndpoints = %v", err)
				}
				urls = append(urls, e.AuthURL, e.TokenURL, e.RevokeURL, e.DeviceURL, e.Issuer)
				if len(e.Scopes) == 0 {
					t.Errorf("OAuthEndpoints: no scopes")
				}
			}
			if p.Probe != nil {
				r, err := p.ProbeRequest(settings)
				if err != nil {
					t.Fatalf("ProbeRequest = %v", err)
				}
				urls = append(urls, r.URL)
			}
			for _, u := range urls {
				if u != "" && !strings.HasPrefix(u, "https://") {
					t.Errorf("rendered %q; want https", u)
				}
			}
		})
	}
}

func TestEmbeddedURLsAreHTTPS(t *testing.T) {
	for _, p := range load(t).List() {
		urls := []string{p.Docs, p.Support}
		if p.OAuth != nil {
			urls = append(urls, p.OAuth.AuthURL, p.OAuth.TokenURL, p.OAuth.RevokeURL, p.OAuth.DeviceURL, p.OAuth.Issuer)
		}
		if p.Probe != nil {
			urls = append(urls, p.Probe.URL)
		}
		for _, u := range p.Help {
			urls = append(urls, u)
		}
		for _, raw := range urls {
			if raw == "" || isPlaceholder(raw) {
				continue
			}
			u, err := url.Parse(placeholderRE.ReplaceAllString(raw, "x"))
			if err != nil || u.Scheme != "https" || IsLoopbackHost(u.Hostname()) || u.User != nil {
				t.Errorf("%s: %q; want an https URL on a public host", p.ID, raw)
			}
		}
	}
}

func TestHelpCausesAndLifetimes(t *testing.T) {
	c := load(t)
	for _, p := range c.List() {
		for cause := range p.Help {
			if !integration.Cause(cause).Valid() {
				t.Errorf("%s: help for unknown cause %q", p.ID, cause)
			}
		}
	}
	for _, tc := range []struct {
		id       string
		settings map[string]string
		want     Duration
	}{
		{"google-analytics", nil, 0},
		{"google-analytics", map[string]string{"publishing_status": "production"}, 0},
		{"google-analytics", map[string]string{"publishing_status": "testing"}, Duration(7 * 24 * time.Hour)},
		{"adobe-analytics", nil, Duration(14 * 24 * time.Hour)},
		{"xero", nil, 0}, // 60 days is an idle limit: using the token resets it
	} {
		if got := Duration(get(t, c, tc.id).RefreshLifetimeFor(tc.settings)); got != tc.want {
			t.Errorf("%s.RefreshLifetimeFor(%v) = %v; want %v", tc.id, tc.settings, got, tc.want)
		}
	}
	if got, want := get(t, c, "xero").Lifetimes.RefreshIdle, Duration(60*24*time.Hour); got != want {
		t.Errorf("xero RefreshIdle = %v; want %v", got, want)
	}
}

func TestHelpURL(t *testing.T) {
	google := get(t, load(t), "google-analytics")
	for _, tc := range []struct {
		cause integration.Cause
		want  string
	}{
		{integration.CauseAccessRevoked, "https://myaccount.google.com/connections"},
		{integration.CauseAppProblem, google.Support},
		{integration.CauseLocalProblem, google.Docs},
	} {
		if got := google.HelpURL(tc.cause); got != tc.want {
			t.Errorf("HelpURL(%s) = %q; want %q", tc.cause, got, tc.want)
		}
	}
}
