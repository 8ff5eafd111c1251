package cli

import (
	"strings"
	"testing"
)

// TestRedirectShownBeforeAuthorizing: `relink providers PROVIDER` and
// `relink add PROVIDER --help` say which redirect URI to register.
func TestRedirectShownBeforeAuthorizing(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"providers", "hubspot"}, []string{"Redirect URI to register in your app: http://localhost:53682/callback",
			"https://developers.hubspot.com/changelog/2018-03-05-oauth2-redirect-uri-served-over-http-localhost"}},
		{[]string{"providers", "google-analytics"}, []string{"http://127.0.0.1/callback", "any port"}},
		{[]string{"providers", "salesforce"}, []string{"io.relink.app:/callback", "desktop entry"}},
		{[]string{"providers", "shopify"}, []string{"--set redirect_uri=", "https"}},
		{[]string{"add", "hubspot", "--help"}, []string{"relink add", "Redirect URI to register in your app: http://localhost:53682/callback"}},
		{[]string{"add", "--name", "x", "xero", "--set", "redirect_uri=http://localhost:41000/callback", "--help"},
			[]string{"Redirect URI to register in your app: http://localhost:41000/callback"}},
		{[]string{"add", "quickbooks", "--set", "redirect_uri=https://example.com/cb", "--help"},
			[]string{"https://example.com/cb", "http://localhost:53682/callback"}},
	} {
		code, out, errs := h.run("", tc.args...)
		if code != ExitOK {
			t.Errorf("relink %s: exit %d (%s)", strings.Join(tc.args, " "), code, errs)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("relink %s output lacks %q:\n%s", strings.Join(tc.args, " "), w, out)
			}
		}
	}
	if code, _, _ := h.run("", "providers", "nope"); code != ExitUsage {
		t.Errorf("relink providers nope: exit %d; want %d", code, ExitUsage)
	}
}
