package catalog

import (
	"errors"
	"net/url"
	"strings"
	"testing"

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

func TestEveryEntryValidates(t *testing.T) {
	c := load(t)
	want := []string{"google-analytics", "google-ads", "salesforce", "salesforce-sandbox", "hubspot", "shopify", "microsoft",
		"meta-ads", "quickbooks", "xero", "zendesk", "adobe-analytics", "stripe", "zendesk-token", "mixpanel", "klaviyo",
		"recurly", "postgres", "mysql", "sqlserver", "custom-oauth2", "custom-api-key"}
	for _, id := range want {
		if _, ok := c.Get(id); !ok {
			t.Errorf("provider %s missing", id)
		}
	}
	list := c.List()
	for i := 1; i < len(list); i++ {
		if list[i-1].Group == "database" && list[i].Group == "saas" {
			t.Errorf("order: %s (database) before %s (saas)", list[i-1].ID, list[i].ID)
		}
	}
}

func TestEmbeddedEndpointsAreHTTPS(t *testing.T) {
	for _, p := range load(t).List() {
		var urls []string
		if p.OAuth != nil {
			urls = append(urls, p.OAuth.AuthURL, p.OAuth.TokenURL, p.OAuth.RevokeURL, p.OAuth.DeviceURL)
		}
		if p.Probe != nil {
			urls = append(urls, p.Probe.URL)
		}
		urls = append(urls, p.Docs, p.Support)
		for _, u := range urls {
			if u == "" || placeholderOnly(u) {
				continue
			}
			if !strings.HasPrefix(u, "https://") {
				t.Errorf("%s: %q is not https", p.ID, u)
			}
		}
	}
}

func TestLoopbackOnlyForFixtures(t *testing.T) {
	entry := `[{"id":"fixture","name":"F","kind":"api_key","group":"saas","icon":"f","fields":[{"key":"api_key","required":true,"secret":true,"kind":"password"}],
	  "probe":{"method":"GET","url":"http://127.0.0.1:9/whoami","auth":"bearer"},"lifetimes":{},"docs":"https://example.com","support":"https://example.com"}]`
	if _, err := Parse(map[string][]byte{"f.json": []byte(entry)}, false); err == nil {
		t.Errorf("loopback http accepted in an embedded entry")
	}
	if _, err := Parse(map[string][]byte{"f.json": []byte(entry)}, true); err != nil {
		t.Errorf("loopback http refused for a fixture: %v", err)
	}
}

func TestBadEntriesFail(t *testing.T) {
	base := `{"id":"x","name":"X","kind":"api_key","group":"saas","icon":"x","fields":[{"key":"api_key","required":true,"secret":true,"kind":"password"}],"probe":{"method":"GET","url":"https://x.example/me","auth":"bearer"},"lifetimes":{},"docs":"https://x.example","support":"https://x.example"}`
	for name, entry := range map[string]string{
		"unknown field":      strings.Replace(base, `"icon":"x"`, `"icon":"x","colour":"red"`, 1),
		"http endpoint":      strings.Replace(base, "https://x.example/me", "http://x.example/me", 1),
		"undeclared field":   strings.Replace(base, "https://x.example/me", "https://{shop}.example/me", 1),
		"bad kind":           strings.Replace(base, `"kind":"api_key"`, `"kind":"magic"`, 1),
		"no probe":           strings.Replace(base, `"probe":{"method":"GET","url":"https://x.example/me","auth":"bearer"},`, ``, 1),
		"bad pattern":        strings.Replace(base, `"kind":"password"}`, `"kind":"password","pattern":"("}`, 1),
		"bad lifetime":       strings.Replace(base, `"lifetimes":{}`, `"lifetimes":{"accessToken":"soon"}`, 1),
		"help unknown cause": strings.Replace(base, `"lifetimes":{}`, `"lifetimes":{},"help":{"bad_luck":"https://x.example"}`, 1),
		"duplicate":          base + "," + base,
	} {
		if _, err := Parse(map[string][]byte{"t.json": []byte("[" + entry + "]")}, false); err == nil {
			t.Errorf("%s: accepted; want an error", name)
		}
	}
}

func TestRenderTenantTemplates(t *testing.T) {
	c := load(t)
	shop, _ := c.Get("shopify")
	for _, tc := range []struct {
		shop    string
		want    string
		wantErr bool
	}{
		{"my-store", "https://my-store.myshopify.com/admin/oauth/authorize", false},
		{"evil.com/x", "", true},
		{"../", "", true},
		{"a b", "", true},
		{"tiénda", "", true},
		{"", "", true},
		{"x@evil.com", "", true},
		{"UPPER", "", true},
	} {
		got, err := shop.Render(shop.OAuth.AuthURL, map[string]string{"shop": tc.shop})
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("shop=%q: got %q, %v; want %q (error %v)", tc.shop, got, err, tc.want, tc.wantErr)
		}
	}
	custom, _ := c.Get("custom-oauth2")
	for _, tc := range []struct {
		issuer  string
		wantErr bool
	}{
		{"https://id.example.com", false},
		{"http://127.0.0.1:4444", false},
		{"http://id.example.com", true},
		{"https://user:pw@id.example.com", true},
		{"javascript:alert(1)", true},
	} {
		_, err := custom.Render("{issuer}", map[string]string{"issuer": tc.issuer})
		if (err != nil) != tc.wantErr {
			t.Errorf("issuer=%q: got %v; want error %v", tc.issuer, err, tc.wantErr)
		}
	}
}

func TestValidateSettings(t *testing.T) {
	c := load(t)
	for _, tc := range []struct {
		provider string
		in       map[string]string
		want     map[string]string
		errField string
	}{
		{"shopify", map[string]string{"shop": " my-store ", "client_id": "abc"}, map[string]string{"shop": "my-store", "client_id": "abc"}, ""},
		{"shopify", map[string]string{"client_id": "abc"}, nil, "shop"},
		{"shopify", map[string]string{"shop": "ok", "client_id": "abc", "client_secret": "s3cr3t"}, nil, "client_secret"},
		{"postgres", map[string]string{"host": "db", "database": "d", "user": "u"}, map[string]string{"host": "db", "port": "5432", "database": "d", "user": "u", "tls_mode": "prefer", "ssh_port": "22"}, ""},
		{"postgres", map[string]string{"host": "db", "database": "d", "user": "u", "port": "99999"}, nil, "port"},
		{"postgres", map[string]string{"host": "db", "database": "d", "user": "u", "tls_mode": "maybe"}, nil, "tls_mode"},
		{"stripe", map[string]string{"colour": "red"}, nil, "colour"},
		{"custom-oauth2", map[string]string{"client_id": "relink"}, nil, "issuer"},
		{"custom-api-key", map[string]string{"test_url": "ftp://x"}, nil, "test_url"},
	} {
		p, _ := c.Get(tc.provider)
		got, err := p.ValidateSettings(tc.in)
		if tc.errField != "" {
			var fe FieldErrors
			if !errors.As(err, &fe) || !errors.Is(err, integration.ErrInvalid) {
				t.Errorf("%s %v: got %v; want field errors", tc.provider, tc.in, err)
				continue
			}
			found := false
			for _, e := range fe {
				found = found || e.Field == tc.errField
			}
			if !found {
				t.Errorf("%s %v: got errors %v; want one for %s", tc.provider, tc.in, fe, tc.errField)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %v: got %v", tc.provider, tc.in, err)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s got %q; want %q", tc.provider, k, got[k], v)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"providers/oauth.json", "providers/apikey.json", "providers/custom.json"} {
		b, _ := providerFS.ReadFile(name)
		f.Add(b)
	}
	f.Add([]byte(`[{"id":"x"}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(map[string][]byte{"f.json": data}, false)
		if err != nil {
			return
		}
		// Whatever parses must satisfy the invariants the app relies on.
		for _, p := range c.List() {
			if p.Kind == integration.KindOAuth2 && p.OAuth == nil {
				t.Fatalf("%s: oauth2 without oauth section", p.ID)
			}
		}
	})
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{"my-store", "evil.com/x", "../", "a%2Fb", "x\x00y", "тест", "https://id.example.com", "http://127.0.0.1:1/"} {
		f.Add(s)
	}
	c := load(f)
	shop, _ := c.Get("shopify")
	custom, _ := c.Get("custom-oauth2")
	f.Fuzz(func(t *testing.T, v string) {
		got, err := shop.Render(shop.OAuth.AuthURL, map[string]string{"shop": v})
		if err == nil {
			u, perr := url.Parse(got)
			if perr != nil || !strings.HasSuffix(u.Host, ".myshopify.com") || u.Path != "/admin/oauth/authorize" || u.Scheme != "https" {
				t.Fatalf("shop %q rendered %q outside the template", v, got)
			}
		}
		got, err = custom.Render("{issuer}", map[string]string{"issuer": v})
		if err == nil {
			u, perr := url.Parse(got)
			if perr != nil || u.User != nil || (u.Scheme != "https" && !IsLoopbackHost(u.Hostname())) {
				t.Fatalf("issuer %q rendered %q", v, got)
			}
		}
	})
}
