package cli

import (
	"encoding/json"
	"testing"
)

// TestProvidersListsCommerceIntelligenceIntegrations is issue 17's
// acceptance: `relink providers` lists every integration Adobe Commerce
// Intelligence documents, each in its group.
func TestProvidersListsCommerceIntelligenceIntegrations(t *testing.T) {
	code, out, errOut := newHarness(t).run("", "providers", "--json")
	if code != ExitOK {
		t.Fatalf("providers = %d %s", code, errOut)
	}
	var ps []struct{ ID, Group, DocsURL string }
	if err := json.Unmarshal([]byte(out), &ps); err != nil {
		t.Fatal(err)
	}
	group := map[string]string{}
	for _, p := range ps {
		group[p.ID] = p.Group
		if p.DocsURL == "" {
			t.Errorf("%s: no docs link", p.ID)
		}
	}
	for id, want := range map[string]string{
		"adobe-analytics": "saas", "meta-ads": "saas", "google-ads": "saas", "google-analytics": "saas",
		"mixpanel": "saas", "mixpanel-secret": "saas", "quickbooks": "saas", "salesforce": "saas", "stripe": "saas",
		"zendesk": "saas", "zendesk-token": "saas",
		"mysql": "database", "postgres": "database", "sqlserver": "database", "mongodb": "database",
		"mysql-rds": "database", "postgres-rds": "database", "sqlserver-rds": "database",
		"adobe-commerce": "store", "woocommerce": "store", "prestashop": "store", "spree": "store",
	} {
		if got, ok := group[id]; !ok || got != want {
			t.Errorf("providers: %s in group %q (listed %v); want %q", id, got, ok, want)
		}
	}
}
