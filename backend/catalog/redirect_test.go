package catalog

import (
	"errors"
	"strings"
	"testing"

	"relink/backend/integration"
)

// withRedirect gives the fixture a redirect policy and, when fields is
// non-nil, extra fields.
func withRedirect(red map[string]any, fields ...map[string]any) func(map[string]any) {
	return func(p map[string]any) {
		p["redirect"] = red
		for _, f := range fields {
			p["fields"] = append(p["fields"].([]any), f)
		}
	}
}

var (
	uriField = map[string]any{"key": "redirect_uri", "kind": "text", "default": "http://localhost:53682/callback"}
	src      = "https://example.com/docs/redirect"
)

func TestParseRejectsRedirect(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"missing", func(p map[string]any) { delete(p, "redirect") }, "needs a redirect policy"},
		{"no source", withRedirect(map[string]any{"accepts": []any{"loopback"}, "loopbackHost": "127.0.0.1"}), "redirect source"},
		{"http source", withRedirect(map[string]any{"accepts": []any{"loopback"}, "loopbackHost": "127.0.0.1", "source": "http://example.com/x"}), "not_https"},
		{"empty accepts", withRedirect(map[string]any{"accepts": []any{}, "source": src}), "accepts is empty"},
		{"unknown kind", withRedirect(map[string]any{"accepts": []any{"oob"}, "source": src}), "unknown kind"},
		{"twice", withRedirect(map[string]any{"accepts": []any{"loopback", "loopback"}, "loopbackHost": "127.0.0.1", "source": src}), "twice"},
		{"loopback without host", withRedirect(map[string]any{"accepts": []any{"loopback"}, "source": src}), "loopbackHost"},
		{"ipv6 host", withRedirect(map[string]any{"accepts": []any{"loopback"}, "loopbackHost": "::1", "source": src}), "loopbackHost"},
		{"host without loopback", withRedirect(map[string]any{"accepts": []any{"fixed"}, "loopbackHost": "localhost", "source": src}, uriField), "loopbackHost is for"},
		{"fixed without field", withRedirect(map[string]any{"accepts": []any{"fixed"}, "source": src}), "redirect_uri field exists"},
		{"field without need", withRedirect(map[string]any{"accepts": []any{"loopback"}, "loopbackHost": "127.0.0.1", "source": src}, uriField), "redirect_uri field exists"},
		{"required field", withRedirect(map[string]any{"accepts": []any{"fixed"}, "source": src},
			map[string]any{"key": "redirect_uri", "kind": "text", "required": true}), "optional plain text"},
		{"url field", withRedirect(map[string]any{"accepts": []any{"fixed"}, "source": src},
			map[string]any{"key": "redirect_uri", "kind": "url"}), "optional plain text"},
		{"default not accepted", withRedirect(map[string]any{"accepts": []any{"scheme"}, "source": src}, uriField), "redirect_fixed_not_accepted"},
		{"default on another path", withRedirect(map[string]any{"accepts": []any{"fixed"}, "source": src},
			map[string]any{"key": "redirect_uri", "kind": "text", "default": "http://localhost:53682/cb"}), "redirect_path"},
		{"https without relay port", withRedirect(map[string]any{"accepts": []any{"https"}, "source": src},
			map[string]any{"key": "redirect_uri", "kind": "text"}), "relay_port field exists"},
		{"relay port with default", withRedirect(map[string]any{"accepts": []any{"https"}, "source": src},
			map[string]any{"key": "redirect_uri", "kind": "text"},
			map[string]any{"key": "relay_port", "kind": "number", "min": 1024, "max": 65535, "default": "53682"}), "without default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(fixture(t, tc.edit))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse() = %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestRedirectFor(t *testing.T) {
	c := load(t)
	for _, tc := range []struct {
		provider string
		settings map[string]string
		want     RedirectPlan
	}{
		{"google-analytics", nil, RedirectPlan{Kind: RedirectLoopback, URI: "http://127.0.0.1/callback", ListenHost: "127.0.0.1", Register: "http://127.0.0.1/callback", AnyPort: true}},
		{"microsoft", nil, RedirectPlan{Kind: RedirectLoopback, URI: "http://localhost/callback", ListenHost: "localhost", Register: "http://localhost/callback", AnyPort: true}},
		// Saved before the policy existed: the field's default.
		{"salesforce", nil, RedirectPlan{Kind: RedirectScheme, URI: "io.relink.app:/callback", ListenHost: "127.0.0.1", Register: "io.relink.app:/callback"}},
		{"hubspot", map[string]string{"redirect_uri": "http://localhost:53682/callback"},
			RedirectPlan{Kind: RedirectFixed, URI: "http://localhost:53682/callback", ListenHost: "localhost", ListenPort: 53682, Register: "http://localhost:53682/callback"}},
		{"xero", map[string]string{"redirect_uri": "http://127.0.0.1:8400/callback"},
			RedirectPlan{Kind: RedirectFixed, URI: "http://127.0.0.1:8400/callback", ListenHost: "127.0.0.1", ListenPort: 8400, Register: "http://127.0.0.1:8400/callback"}},
		{"salesforce", map[string]string{"redirect_uri": "io.relink.app:/callback"},
			RedirectPlan{Kind: RedirectScheme, URI: "io.relink.app:/callback", ListenHost: "127.0.0.1", Register: "io.relink.app:/callback"}},
		{"quickbooks", map[string]string{"redirect_uri": "https://example.com/relink/cb"},
			RedirectPlan{Kind: RedirectHTTPS, URI: "https://example.com/relink/cb", ListenHost: "localhost", ListenPort: DefaultRelayPort, Register: "https://example.com/relink/cb"}},
		{"shopify", map[string]string{"redirect_uri": "https://example.com/relink/cb", "relay_port": "40001"},
			RedirectPlan{Kind: RedirectHTTPS, URI: "https://example.com/relink/cb", ListenHost: "localhost", ListenPort: 40001, Register: "https://example.com/relink/cb"}},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			p, _ := c.Get(tc.provider)
			got, err := p.RedirectFor(tc.settings)
			if err != nil {
				t.Fatalf("RedirectFor(%v) error %v", tc.settings, err)
			}
			tc.want.Source = p.Redirect.Source
			if got != tc.want {
				t.Errorf("RedirectFor(%v) = %+v; want %+v", tc.settings, got, tc.want)
			}
		})
	}
}

func TestRedirectForWithoutURI(t *testing.T) {
	c := load(t)
	p, _ := c.Get("shopify")
	_, err := p.RedirectFor(nil)
	var prob *integration.Problem
	if !errors.As(err, &prob) || prob.Code != "error.redirect_required" {
		t.Errorf("RedirectFor(no redirect_uri) on an https-only provider = %v; want error.redirect_required", err)
	}
}

// TestRedirectSettings checks the policy at the form: what a provider's
// documentation does not let the user register is refused up front.
func TestRedirectSettings(t *testing.T) {
	c := load(t)
	for _, tc := range []struct {
		provider, uri, reason string
	}{
		{"hubspot", "http://localhost:53682/callback", ""},
		{"hubspot", "http://localhost/callback", "redirect_port"},
		{"hubspot", "http://localhost:80/callback", "redirect_port"},
		{"hubspot", "http://localhost:53682/other", "redirect_path"},
		{"hubspot", "http://localhost:53682/callback?x=1", "redirect_path"},
		{"hubspot", "http://example.com:53682/callback", "not_https"},
		{"hubspot", "io.relink.app:/callback", "redirect_scheme_not_accepted"},
		{"hubspot", "https://example.com/cb", ""},
		{"hubspot", "https://localhost:53682/callback", "redirect_https_loopback"},
		{"salesforce", "io.relink.app:/callback", ""},
		{"salesforce", "http://localhost:53682/callback", "redirect_fixed_not_accepted"},
		{"salesforce", "com.other.app:/callback", "scheme"},
		{"shopify", "http://localhost:53682/callback", "redirect_fixed_not_accepted"},
		{"adobe-analytics", "https://u:p@example.com/cb", "redirect_form"},
		{"adobe-analytics", "https://example.com/cb#x", "redirect_form"},
		{"meta-ads", "http://localhost:53682/callback", ""},
		{"xero", "/callback", "not_absolute"},
	} {
		p, _ := c.Get(tc.provider)
		st := map[string]string{"client_id": "abc", "client_secret": "", "redirect_uri": tc.uri}
		if p.ID == "shopify" {
			st["shop"] = "my-store"
		}
		if p.ID == "zendesk" {
			st["subdomain"] = "acme"
		}
		_, err := p.ValidateSettings(st)
		got := ""
		var fe *FieldErrors
		if errors.As(err, &fe) {
			for _, f := range fe.Fields {
				if f.Field == FieldRedirectURI {
					got = f.Problem.Params["reason"]
				}
			}
		}
		if got != tc.reason {
			t.Errorf("%s: ValidateSettings(redirect_uri=%q) reason %q (err %v); want %q", tc.provider, tc.uri, got, err, tc.reason)
		}
	}
}

// TestEveryOAuthProviderHasAUsableRedirect: with its defaults, each OAuth
// provider either has a redirect or says what to register.
func TestEveryOAuthProviderHasAUsableRedirect(t *testing.T) {
	for _, p := range load(t).List() {
		if p.Kind != integration.KindOAuth2 {
			continue
		}
		st := map[string]string{}
		for _, f := range p.Fields {
			st[f.Key] = f.Default
		}
		plan, err := p.RedirectFor(st)
		switch {
		case err == nil && plan.URI == "":
			t.Errorf("%s: empty redirect URI", p.ID)
		case err != nil && p.Redirect.accepts(RedirectLoopback):
			t.Errorf("%s: RedirectFor(defaults) = %v", p.ID, err)
		}
	}
}
