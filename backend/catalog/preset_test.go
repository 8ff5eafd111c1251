package catalog

import (
	"slices"
	"strings"
	"testing"

	"relink/backend/integration"
)

// TestPresets checks each preset against its base: the same kind, engine
// and fields, only the defaults it names changed, and the base untouched.
func TestPresets(t *testing.T) {
	c := load(t)
	for _, tc := range []struct {
		id, base, group string
		defaults        map[string]string
	}{
		{"mysql-rds", "mysql", GroupDatabase, map[string]string{"tls_mode": "verify-full"}},
		{"postgres-rds", "postgres", GroupDatabase, map[string]string{"tls_mode": "verify-full"}},
		{"sqlserver-rds", "sqlserver", GroupDatabase, map[string]string{"tls_mode": "verify-full"}},
		// Table names from each platform's documentation (see the entry's sources).
		{"adobe-commerce", "mysql", GroupStore, map[string]string{"tables": "sales_order, sales_order_item, customer_entity, catalog_product_entity, catalog_category_entity, catalog_category_product"}},
		{"woocommerce", "mysql", GroupStore, map[string]string{"tables": "wp_wc_orders, wp_wc_order_addresses, wp_woocommerce_order_items, wp_woocommerce_order_itemmeta, wp_posts, wp_postmeta, wp_users"}},
		{"prestashop", "mysql", GroupStore, map[string]string{"tables": "ps_orders, ps_order_detail, ps_customer, ps_product, ps_cart"}},
		{"spree", "postgres", GroupStore, map[string]string{"tables": "spree_orders, spree_line_items, spree_variants, spree_products, spree_payments", "schema": "public"}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			p, base := get(t, c, tc.id), get(t, c, tc.base)
			if p.Kind != integration.KindDatabase || p.Engine != base.Engine || p.Group != tc.group || p.Base != tc.base {
				t.Errorf("kind/engine/group/base = %s/%s/%s/%s; want database/%s/%s/%s", p.Kind, p.Engine, p.Group, p.Base, base.Engine, tc.group, tc.base)
			}
			if len(p.Fields) != len(base.Fields) {
				t.Fatalf("%d fields; want the base's %d", len(p.Fields), len(base.Fields))
			}
			for i, f := range p.Fields {
				want := base.Fields[i]
				if v, ok := tc.defaults[f.Key]; ok {
					want.Default = v
				}
				if f.Key != want.Key || f.Default != want.Default || f.Required != want.Required || f.Secret != want.Secret {
					t.Errorf("field %s default %q; want %s default %q", f.Key, f.Default, want.Key, want.Default)
				}
			}
			if len(p.Sources) == 0 || p.Docs == base.Docs {
				t.Errorf("sources %v, docs %q; want the preset's own documentation", p.Sources, p.Docs)
			}
			// The settings a new integration starts from pass validation,
			// so the privilege check tests these tables from the start.
			if _, err := p.ValidateSettings(samplesFor(p)); err != nil {
				t.Errorf("ValidateSettings(defaults) = %v", err)
			}
		})
	}
	for _, id := range []string{"mysql", "postgres"} {
		if f, _ := get(t, c, id).field("tables"); f.Default != "" {
			t.Errorf("%s tables default = %q; want the base untouched by its presets", id, f.Default)
		}
	}
}

func TestPresetRejects(t *testing.T) {
	base := `{"id":"db","name":"DB","kind":"database","group":"database","icon":"db","engine":"postgres",
		"fields":[{"key":"host","kind":"text"},{"key":"port","kind":"number"},{"key":"database","kind":"text"},
		{"key":"user","kind":"text"},{"key":"password","secret":true,"kind":"password"},
		{"key":"tls_mode","kind":"select","options":["disable","verify-full"]},{"key":"tables","kind":"text","pattern":"[a-z_, ]+"}],
		"lifetimes":{},"docs":"https://example.com","support":"https://example.com"}`
	preset := func(extra string) map[string][]byte {
		return map[string][]byte{"a.json": []byte("[" + base + "]"), "b.json": []byte(`[{"id":"shop","name":"Shop","group":"store","icon":"shop",
			"docs":"https://example.com/shop"` + extra + `}]`)}
	}
	if c, err := Parse(preset(`,"base":"db","defaults":{"tables":"orders"}`)); err != nil {
		t.Fatalf("Parse(valid preset) = %v", err)
	} else if p, _ := c.Get("shop"); p.Support != "https://example.com" || p.Engine != "postgres" {
		t.Errorf("preset support/engine = %q/%q; want the base's", p.Support, p.Engine)
	}
	for _, tc := range []struct{ name, extra, want string }{
		{"unknown base", `,"base":"nope"`, "base"},
		{"preset of a preset", `,"base":"shop"`, "base"},
		{"own fields", `,"base":"db","fields":[]`, "only names"},
		{"own kind", `,"base":"db","kind":"api_key"`, "only names"},
		{"own error rules", `,"base":"db","errors":[]`, "only names"},
		{"default for unknown field", `,"base":"db","defaults":{"nope":"x"}`, "no such"},
		{"default for a secret", `,"base":"db","defaults":{"password":"x"}`, "no such"},
		{"default breaks the pattern", `,"base":"db","defaults":{"tables":"DROP;"}`, "default"},
		{"store without base", `,"kind":"database","engine":"postgres","fields":[]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(preset(tc.extra))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v; want an error about %q", err, tc.want)
			}
		})
	}
}

func TestStoreAndDatabaseGroups(t *testing.T) {
	for _, p := range load(t).List() {
		if p.Group == GroupStore && (p.Base == "" || !slices.Contains([]string{"mysql", "postgres"}, p.Base)) {
			t.Errorf("%s: store platform with base %q; want a preset of mysql or postgres", p.ID, p.Base)
		}
	}
}

func TestSecretOptional(t *testing.T) {
	c := load(t)
	for _, tc := range []struct {
		id       string
		settings map[string]string
		want     bool
	}{
		{"mongodb", map[string]string{}, true}, // a server without authentication
		{"mongodb", map[string]string{"user": "reader"}, false},
		{"postgres", map[string]string{}, false},
		{"stripe", map[string]string{}, false},
	} {
		if got := get(t, c, tc.id).SecretOptional(tc.settings); got != tc.want {
			t.Errorf("%s.SecretOptional(%v) = %v; want %v", tc.id, tc.settings, got, tc.want)
		}
	}
}
